//! `redsim import`: a scenario from a deployment's real config files or from its running
//! sentinels. The files are read as Redis reads them ([`conf`], [`files`]); a live deployment
//! through a RESP client that only reads ([`resp`], [`live`]); both give an [`shape::Imported`]
//! written as one scenario ([`shape`]), with what the model does not implement listed and why
//! ([`skipped`]).

mod conf;
mod files;
mod live;
mod resp;
mod shape;
mod skipped;

use crate::files as io_files;
use crate::output::{Out, errln};
use std::process::ExitCode;

/// `redsim import`'s arguments.
#[derive(clap::Args)]
#[command(after_help = IMPORT_HELP)]
pub struct ImportArgs {
    /// A server's redis.conf (repeat for each server of the deployment).
    #[arg(long = "redis", value_name = "FILE")]
    redis: Vec<String>,
    /// A sentinel's sentinel.conf (repeat for each sentinel), as Sentinel left it: its
    /// generated lines (known-replica, known-sentinel, epochs) included.
    #[arg(long = "sentinel", value_name = "FILE")]
    sentinel: Vec<String>,
    /// Read a running deployment from this sentinel instead of files (repeat to ask several;
    /// the sentinels they know are asked too).
    #[arg(long = "from-sentinel", value_name = "HOST:PORT", conflicts_with_all = ["redis", "sentinel"])]
    from_sentinel: Vec<String>,
    /// Password for AUTH on every sentinel and server (default: the REDISCLI_AUTH variable, as
    /// redis-cli has it).
    #[arg(long, requires = "from_sentinel")]
    password: Option<String>,
    /// User name for AUTH (Redis 6 ACLs), with --password.
    #[arg(long, requires = "from_sentinel")]
    user: Option<String>,
    /// The master to import when the sentinels monitor several (its `sentinel monitor` name).
    #[arg(long, value_name = "NAME")]
    master: Option<String>,
    /// The scenario's `name` (default: the output file's name, or `imported`).
    #[arg(long)]
    name: Option<String>,
    /// Where to write the scenario (default and `-`: standard output); an existing file is
    /// replaced atomically.
    #[arg(short, long, value_name = "OUT")]
    output: Option<String>,
}

const IMPORT_HELP: &str = "\
Examples:
  redsim import --redis r1/redis.conf --redis r2/redis.conf --redis r3/redis.conf \\
      --sentinel s1/sentinel.conf --sentinel s2/sentinel.conf --sentinel s3/sentinel.conf -o mine.toml
  redsim import --from-sentinel 10.0.0.1:26379 --from-sentinel 10.0.0.2:26379 -o mine.toml
  REDISCLI_AUTH=secret redsim import --from-sentinel sentinel-1:26379 --user ops -o mine.toml
  redsim run mine.toml

The scenario has every directive the model implements; every other directive is listed in a
comment at its top (and on standard error) with the reason it is left out. The [[client]] and
the duration are defaults to adjust. A live import sends only AUTH, SENTINEL MASTERS, SENTINEL
REPLICAS, SENTINEL SENTINELS, SENTINEL MYID, SENTINEL CONFIG GET, CONFIG GET and INFO: nothing
that changes the deployment.

Exit status: 0 written; 2 a file cannot be read or is invalid (the message names the file, the
line and the directive), an address did not answer, two processes listen on one address, or -o
names an input.";

/// Runs `redsim import`.
pub fn import(out: &mut Out, args: ImportArgs) -> ExitCode {
    let inputs: Vec<(&str, &str)> = args
        .redis
        .iter()
        .map(|p| ("--redis", p.as_str()))
        .chain(args.sentinel.iter().map(|p| ("--sentinel", p.as_str())))
        .collect();
    let output = args.output.as_deref().unwrap_or(io_files::STDIO);
    if let Err(e) = io_files::check_outputs(&inputs, &[("-o", output)]) {
        return crate::bad(&e);
    }
    let imported = if !args.from_sentinel.is_empty() {
        let password = args.password.clone().or_else(|| std::env::var("REDISCLI_AUTH").ok());
        let login = live::Login { user: args.user.clone(), password };
        live::import(&args.from_sentinel, args.master.as_deref(), &login)
    } else if args.redis.is_empty() {
        Err("name the deployment: --redis FILE ... [--sentinel FILE ...], or --from-sentinel HOST:PORT".to_string())
    } else {
        files::import(&args.redis, &args.sentinel, args.master.as_deref())
    };
    let imported = match imported {
        Ok(i) => i,
        Err(e) => return crate::bad(&e),
    };
    let included: Vec<(&str, &str)> =
        imported.read.iter().map(|f| ("the included file", f.as_str())).collect();
    if let Err(e) = io_files::check_outputs(&included, &[("-o", output)]) {
        return crate::bad(&e);
    }
    let name = args.name.clone().unwrap_or_else(|| {
        std::path::Path::new(output)
            .file_stem()
            .filter(|_| output != io_files::STDIO)
            .map_or("imported".to_string(), |s| s.to_string_lossy().into_owned())
    });
    let text = shape::scenario(&imported, &name);
    if let Err(e) = lab::scenario::Scenario::parse(&format!("{name}.toml"), &text) {
        return crate::bad(&format!("the imported scenario does not validate: {e}"));
    }
    report(&imported, output);
    match io_files::emit(out, Some(output), &text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => crate::bad(&e),
    }
}

/// What the person running the import should know, on standard error.
fn report(imp: &shape::Imported, output: &str) {
    for n in &imp.notes {
        errln!("note: {n}");
    }
    if !imp.skipped.is_empty() {
        errln!("not imported: the directives the model does not implement (where), and why:");
        for line in skipped::grouped(&imp.skipped) {
            errln!("  {line}");
        }
    }
    errln!("adjust: {}", shape::CLIENT_NOTE);
    let to =
        if output == io_files::STDIO { "standard output".to_string() } else { output.to_string() };
    errln!(
        "wrote {to}: {} servers and {} sentinels on {} hosts, master `{}`",
        imp.redis.len(),
        imp.sentinels.len(),
        shape::hosts(imp).len() - 1,
        imp.master
    );
}
