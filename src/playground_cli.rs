//! `redsim playground -o DIR`: builds the browser playground's module (`cargo build --release
//! --target wasm32-unknown-unknown -p playground`, driven from here) and writes the one-file
//! site, `DIR/index.html`, with the module, the bundled scenarios (`traces/*.toml`) and the
//! lessons inside. The page is the `playground` crate's.

use crate::output::errln;
use crate::{bad, files};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The target the module is built for.
const TARGET: &str = "wasm32-unknown-unknown";

/// Arguments of `redsim playground`.
#[derive(clap::Args)]
#[command(after_help = PLAYGROUND_HELP)]
pub struct PlaygroundArgs {
    /// The directory to write the site to (created if missing): `index.html`, one file.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

const PLAYGROUND_HELP: &str = "\
Run it from the redsim checkout: it builds the module with cargo ($CARGO, else cargo on PATH),
which needs the WebAssembly target once (rustup target add wasm32-unknown-unknown). The page
opens from disk (file://) and needs no server and no network; any static host serves it.

Examples:
  redsim playground -o site
  xdg-open site/index.html
  redsim playground -o docs    # docs/index.html, served by GitHub Pages from docs/";

/// `redsim playground`.
pub fn playground(args: PlaygroundArgs) -> ExitCode {
    let root = match checkout() {
        Some(root) => root,
        None => {
            return bad(
                &"run `redsim playground` from the redsim checkout (it builds the playground crate)",
            );
        }
    };
    let wasm = match build(&root) {
        Ok(wasm) => wasm,
        Err(e) => return bad(&e),
    };
    let scenarios = match bundled(&root.join("traces")) {
        Ok(s) => s,
        Err(e) => return bad(&e),
    };
    let page = playground::lessons::lessons()
        .and_then(|lessons| playground::site::page(&wasm, &scenarios, &lessons));
    let page = match page {
        Ok(p) => p,
        Err(e) => return bad(&e),
    };
    if let Err(e) = std::fs::create_dir_all(&args.output) {
        return bad(&format!("cannot create {}: {e}", args.output.display()));
    }
    let file = args.output.join("index.html").to_string_lossy().into_owned();
    if let Err(e) = files::write(&file, page.as_bytes()) {
        return bad(&e);
    }
    errln!("{file}: {} KiB, open it in a browser", page.len() / 1024);
    ExitCode::SUCCESS
}

/// The checkout: the working directory when it has the playground crate, else the one this
/// binary was built from, if it is still there.
fn checkout() -> Option<PathBuf> {
    let has = |d: &Path| d.join("playground").join("Cargo.toml").is_file();
    let cwd = std::env::current_dir().ok().filter(|d| has(d));
    cwd.or_else(|| Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))).filter(|d| has(d)))
}

/// Builds the module and reads it.
fn build(root: &Path) -> Result<Vec<u8>, String> {
    let installed = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|dir| dir.is_dir());
    if !installed {
        return Err(format!(
            "the Rust target {TARGET} is not installed: run `rustup target add {TARGET}` first"
        ));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    errln!("building the module: cargo build --release --target {TARGET} -p playground");
    // No debug information in the module: the page carries every byte of it.
    let status = Command::new(&cargo)
        .args(["build", "--release", "--target", TARGET, "-p", "playground"])
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", cargo.to_string_lossy()))?;
    if !status.success() {
        return Err(format!("the module's build failed ({status})"));
    }
    let wasm = target_dir(root).join(TARGET).join("release").join("playground.wasm");
    std::fs::read(&wasm).map_err(|e| format!("cannot read {}: {e}", wasm.display()))
}

/// Where cargo builds: `$CARGO_TARGET_DIR`, else the checkout's `target/`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// The bundled scenarios: every `*.toml` of `dir`, by file name.
fn bundled(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            out.push((entry.file_name().to_string_lossy().into_owned(), text));
        }
    }
    out.sort();
    Ok(out)
}
