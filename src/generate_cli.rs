//! `redsim completions SHELL` and `redsim man [VERB]`: a shell completion script and manual
//! pages, generated from the clap definitions themselves (clap_complete, clap_mangen), so they
//! name exactly the verbs and options the parser accepts.

use crate::output::{Out, errln};
use clap::CommandFactory;
use std::process::ExitCode;

/// The completion script for `shell`.
pub fn completions(out: &mut Out, shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = crate::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "redsim", &mut script);
    out.print(&String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}

/// The manual page (roff) of `redsim`, or of one verb (`redsim-run(1)`).
pub fn man(out: &mut Out, verb: Option<&str>) -> ExitCode {
    let mut cmd = crate::Cli::command();
    // Building names each verb `redsim-VERB`, the page names the SUBCOMMANDS section refers to.
    cmd.build();
    let page = match verb {
        None => cmd,
        Some(v) => match cmd.find_subcommand(v) {
            Some(sub) => sub.clone(),
            None => {
                let verbs: Vec<&str> =
                    cmd.get_subcommands().map(|s| s.get_name()).filter(|&n| n != "help").collect();
                errln!("error: no verb `{v}`; one of: {}", verbs.join(", "));
                return ExitCode::from(crate::BAD_INPUT);
            }
        },
    };
    let mut roff = Vec::new();
    let source = format!("redsim {}", env!("CARGO_PKG_VERSION"));
    match clap_mangen::Man::new(page).source(source).render(&mut roff) {
        Ok(()) => {
            out.print(&String::from_utf8_lossy(&roff));
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("error: cannot render the manual page: {e}");
            ExitCode::from(crate::BAD_INPUT)
        }
    }
}
