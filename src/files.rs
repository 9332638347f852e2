//! The files the CLI reads and writes. `-` names standard input or output. An output that is
//! one of the inputs (the same file, however it is spelled: `./x.toml`, a hard link, a symbolic
//! link) or another output is refused before anything is written. Every file is written
//! atomically: into a temporary file beside it, renamed into place once complete and flushed to
//! disk, so a failed write (a full disk) leaves the old file, or none, and never half a file.
//! Devices and pipes (`/dev/null`, a FIFO) are written in place: there is nothing to rename.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::output::Out;

/// The name of standard input or output in place of a file.
pub const STDIO: &str = "-";

/// How standard input is named in messages.
pub const STDIN_NAME: &str = "<stdin>";

/// `path` opened for reading (`-`: standard input), buffered.
pub fn open(path: &str) -> io::Result<Box<dyn BufRead>> {
    if path == STDIO {
        return Ok(Box::new(io::stdin().lock()));
    }
    Ok(Box::new(BufReader::new(File::open(path)?)))
}

/// How `path` is named in messages (`-` is standard input).
pub fn input_name(path: &str) -> &str {
    if path == STDIO { STDIN_NAME } else { path }
}

/// True when `input` starts like a trace (its header line); nothing is lost from `input`.
pub fn starts_like_trace(input: &mut Box<dyn BufRead>) -> io::Result<bool> {
    let magic = lab::input::TRACE_START;
    let mut head = Vec::with_capacity(magic.len());
    input.by_ref().take(magic.len() as u64).read_to_end(&mut head)?;
    let is_trace = head == magic;
    let rest = std::mem::replace(input, Box::new(io::empty()));
    *input = Box::new(io::Cursor::new(head).chain(rest));
    Ok(is_trace)
}

/// What makes two paths the same file.
#[derive(PartialEq, Eq)]
enum Identity {
    /// An existing file: its device and inode.
    #[cfg(unix)]
    Inode(u64, u64),
    /// A path, made absolute with its links resolved as far as it exists.
    Path(PathBuf),
}

fn identity(path: &str) -> Identity {
    #[cfg(unix)]
    if let Ok(m) = fs::metadata(path) {
        use std::os::unix::fs::MetadataExt;
        return Identity::Inode(m.dev(), m.ino());
    }
    let p = Path::new(path);
    if let Ok(full) = fs::canonicalize(p) {
        return Identity::Path(full);
    }
    // Not there yet: its directory resolved, and its name.
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let full = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    Identity::Path(p.file_name().map_or(full.clone(), |name| full.join(name)))
}

/// Refuses an output that is an input or another output. Each path comes with what it is in the
/// command (`the scenario`, `--trace`); `-` is never a file, but only one output may be `-`.
pub fn check_outputs(inputs: &[(&str, &str)], outputs: &[(&str, &str)]) -> Result<(), String> {
    let files = |list: &[(&str, &str)]| -> Vec<(String, String, Identity)> {
        let list = list.iter().filter(|(_, p)| *p != STDIO);
        list.map(|(what, p)| (what.to_string(), p.to_string(), identity(p))).collect()
    };
    let (ins, outs) = (files(inputs), files(outputs));
    for (i, (what, path, id)) in outs.iter().enumerate() {
        if let Some((in_what, in_path, _)) = ins.iter().find(|(_, _, x)| x == id) {
            return Err(format!(
                "{what} {path} is {in_what} {in_path}: refusing to overwrite an input; name another file"
            ));
        }
        if let Some((other, other_path, _)) = outs[..i].iter().find(|(_, _, x)| x == id) {
            return Err(format!("{what} {path} and {other} {other_path} are the same file"));
        }
    }
    if outputs.iter().filter(|(_, p)| *p == STDIO).count() > 1 {
        return Err("only one output can be standard output (`-`)".to_string());
    }
    Ok(())
}

/// A file being written: a temporary file beside its destination, renamed to it by
/// [`Pending::commit`] and removed if dropped before (an error on the way).
pub struct Pending {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

/// Starts writing `path`: the file to write into, and the [`Pending`] that puts it in place
/// (none for a device, a pipe or a path under `/dev` or `/proc`, written in place).
pub fn create(path: &str) -> io::Result<(File, Option<Pending>)> {
    let mut dest = PathBuf::from(path);
    if fs::symlink_metadata(&dest).is_ok_and(|m| m.file_type().is_symlink()) {
        // Write through a link, as writing in place would, rather than replace the link.
        dest = fs::canonicalize(&dest).unwrap_or(dest);
    }
    let special = fs::metadata(&dest).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if special
        || [path, &dest.to_string_lossy()]
            .iter()
            .any(|p| p.starts_with("/dev/") || p.starts_with("/proc/"))
    {
        return Ok((File::create(&dest)?, None));
    }
    let name = dest.file_name().ok_or_else(|| io::Error::other("not a file name"))?;
    let dir = dest.parent().unwrap_or(Path::new(""));
    let pid = std::process::id();
    for n in 0..100 {
        let tmp = dir.join(format!(".{}.{pid}-{n}.redsim-tmp", name.to_string_lossy()));
        match File::options().write(true).create_new(true).open(&tmp) {
            Ok(file) => {
                // A replaced file keeps its permissions.
                if let Ok(old) = fs::metadata(&dest) {
                    let _ = file.set_permissions(old.permissions());
                }
                return Ok((file, Some(Pending { tmp, dest, committed: false })));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name beside it"))
}

impl Pending {
    /// Flushes the complete file to disk and renames it into place.
    pub fn commit(mut self) -> io::Result<()> {
        File::open(&self.tmp)?.sync_all()?;
        fs::rename(&self.tmp, &self.dest)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path`, atomically (see [`create`]).
pub fn write(path: &str, bytes: &[u8]) -> Result<(), String> {
    let bad = |e: io::Error| format!("cannot write {path}: {e}");
    let (mut file, pending) = create(path).map_err(bad)?;
    file.write_all(bytes).and_then(|()| file.flush()).map_err(bad)?;
    drop(file);
    pending.map_or(Ok(()), Pending::commit).map_err(bad)
}

/// Writes `text` to `path`, or to standard output for `-` or no path.
pub fn emit(out: &mut Out, path: Option<&str>, text: &str) -> Result<(), String> {
    match path {
        None | Some(STDIO) => {
            out.file(text);
            Ok(())
        }
        Some(path) => write(path, text.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_file_under_another_spelling_is_refused() {
        let scenario = [("the scenario", "Cargo.toml")];
        for out in ["Cargo.toml", "./Cargo.toml", "src/../Cargo.toml"] {
            let e = check_outputs(&scenario, &[("--trace", out)]).unwrap_err();
            assert!(e.contains("refusing to overwrite an input"), "{e}");
        }
        assert!(check_outputs(&scenario, &[("--trace", "x.trace")]).is_ok());
        let twice = [("--trace", "new.out"), ("--html", "./new.out")];
        assert!(check_outputs(&[], &twice).unwrap_err().contains("the same file"));
        let stdout = [("--trace", "-"), ("--html", "-")];
        assert!(check_outputs(&[("the scenario", "-")], &stdout).is_err());
    }
}
