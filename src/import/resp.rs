//! A plain RESP2 client over blocking TCP with timeouts, for reading a live deployment. It sends
//! only the commands of [`READ_ONLY`]: anything else is refused before a byte is written, so
//! the import cannot change the deployment it reads.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Every command the import may send, by its leading words: nothing here changes a server or a
/// sentinel (AUTH only authenticates this connection).
pub const READ_ONLY: &[&[&str]] = &[
    &["AUTH"],
    &["SENTINEL", "MASTERS"],
    &["SENTINEL", "REPLICAS"],
    &["SENTINEL", "SENTINELS"],
    &["SENTINEL", "CONFIG", "GET"],
    &["SENTINEL", "MYID"],
    &["CONFIG", "GET"],
    &["INFO"],
];

/// True when `argv` starts with one of [`READ_ONLY`]'s commands (case-insensitive).
pub fn allowed(argv: &[&str]) -> bool {
    READ_ONLY.iter().any(|cmd| {
        argv.len() >= cmd.len() && cmd.iter().zip(argv).all(|(c, a)| c.eq_ignore_ascii_case(a))
    })
}

/// A reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Simple(String),
    /// `-ERR ...`.
    Error(String),
    /// `:1`.
    Int(i64),
    /// `$n` (None: nil).
    Bulk(Option<String>),
    /// `*n` (None: nil).
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The text of a simple or bulk string.
    pub fn text(&self) -> Option<&str> {
        match self {
            Reply::Simple(s) | Reply::Bulk(Some(s)) => Some(s),
            _ => None,
        }
    }

    /// The items of an array (empty for anything else).
    pub fn items(&self) -> &[Reply] {
        match self {
            Reply::Array(Some(v)) => v,
            _ => &[],
        }
    }

    /// A flat `[field, value, field, value, ...]` array as pairs of texts.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.items()
            .chunks(2)
            .filter_map(|p| Some((p.first()?.text()?.to_string(), p.get(1)?.text()?.to_string())))
            .collect()
    }
}

/// The largest bulk string and array accepted (a reply from a config or INFO is far smaller).
const BULK_MAX: usize = 16 << 20;
const ARRAY_MAX: usize = 100_000;
const DEPTH_MAX: usize = 8;

/// A connection to one server or sentinel.
pub struct Conn {
    stream: BufReader<TcpStream>,
    /// `host:port` as asked, for messages.
    pub addr: String,
}

impl Conn {
    /// Connects to `addr` (`host:port`), each connect, read and write bounded by `timeout`.
    pub fn open(addr: &str, timeout: Duration) -> Result<Conn, String> {
        let targets: Vec<_> =
            addr.to_socket_addrs().map_err(|e| format!("{addr}: cannot resolve: {e}"))?.collect();
        let mut last = format!("{addr}: no address");
        for t in targets {
            match TcpStream::connect_timeout(&t, timeout) {
                Ok(s) => {
                    s.set_read_timeout(Some(timeout))
                        .and_then(|()| s.set_write_timeout(Some(timeout)))
                        .map_err(|e| format!("{addr}: {e}"))?;
                    return Ok(Conn { stream: BufReader::new(s), addr: addr.to_string() });
                }
                Err(e) => last = format!("{addr} did not answer: {e}"),
            }
        }
        Err(last)
    }

    /// Sends one command of [`READ_ONLY`] and reads its reply; any other command is refused
    /// unsent.
    pub fn call(&mut self, argv: &[&str]) -> Result<Reply, String> {
        if !allowed(argv) {
            return Err(format!("refusing to send `{}`: redsim import only reads", argv.join(" ")));
        }
        let mut req = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a.as_bytes());
            req.extend_from_slice(b"\r\n");
        }
        let what = |e: std::io::Error| format!("{} did not answer `{}`: {e}", self.addr, argv[0]);
        self.stream.get_mut().write_all(&req).map_err(what)?;
        read_reply(&mut self.stream, 0)
            .map_err(|e| format!("{}: `{}`: {e}", self.addr, argv.join(" ")))
    }
}

/// One reply from `r`.
pub fn read_reply(r: &mut impl BufRead, depth: usize) -> Result<Reply, String> {
    let mut line = Vec::new();
    r.by_ref().take(64 * 1024).read_until(b'\n', &mut line).map_err(|e| e.to_string())?;
    if !line.ends_with(b"\r\n") {
        return Err(if line.is_empty() {
            "the connection closed".into()
        } else {
            "not a RESP reply".into()
        });
    }
    let text = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
    let number = |max: usize| -> Result<Option<usize>, String> {
        match text.parse::<i64>() {
            Ok(-1) => Ok(None),
            Ok(n) if n >= 0 && (n as u64) <= max as u64 => Ok(Some(n as usize)),
            _ => Err(format!("bad length `{text}`")),
        }
    };
    match line[0] {
        b'+' => Ok(Reply::Simple(text)),
        b'-' => Ok(Reply::Error(text)),
        b':' => text.parse().map(Reply::Int).map_err(|_| format!("bad integer `{text}`")),
        b'$' => match number(BULK_MAX)? {
            None => Ok(Reply::Bulk(None)),
            Some(n) => {
                let mut buf = vec![0; n + 2];
                r.read_exact(&mut buf).map_err(|e| e.to_string())?;
                buf.truncate(n);
                Ok(Reply::Bulk(Some(String::from_utf8_lossy(&buf).into_owned())))
            }
        },
        b'*' if depth < DEPTH_MAX => match number(ARRAY_MAX)? {
            None => Ok(Reply::Array(None)),
            Some(n) => (0..n)
                .map(|_| read_reply(r, depth + 1))
                .collect::<Result<_, _>>()
                .map(|v| Reply::Array(Some(v))),
        },
        _ => Err("not a RESP reply".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reading_commands_are_allowed() {
        for ok in [
            &["SENTINEL", "masters"][..],
            &["config", "get", "save"],
            &["INFO", "replication"],
            &["AUTH", "u", "p"],
        ] {
            assert!(allowed(ok), "{ok:?}");
        }
        let writes: &[&[&str]] = &[
            &["SET", "k", "v"],
            &["CONFIG", "SET", "save", ""],
            &["CONFIG", "REWRITE"],
            &["SENTINEL", "SET", "mymaster", "quorum", "1"],
            &["SENTINEL", "FAILOVER", "mymaster"],
            &["SENTINEL", "CONFIG", "SET", "announce-ip", "x"],
            &["SENTINEL", "RESET", "*"],
            &["SENTINEL", "REMOVE", "mymaster"],
            &["SENTINEL", "MONITOR", "m", "h", "1", "2"],
            &["SENTINEL", "DEBUG", "ping-period", "1"],
            &["REPLICAOF", "NO", "ONE"],
            &["SHUTDOWN"],
            &["FLUSHALL"],
            &["MONITOR"],
            &["SENTINEL"],
            &[],
        ];
        for w in writes {
            assert!(!allowed(w), "{w:?}");
        }
    }

    #[test]
    fn replies_parse_and_bad_ones_are_errors() {
        let parse = |s: &str| read_reply(&mut s.as_bytes(), 0);
        assert_eq!(parse("+OK\r\n").unwrap(), Reply::Simple("OK".into()));
        assert_eq!(parse("-ERR no\r\n").unwrap(), Reply::Error("ERR no".into()));
        let a = parse("*2\r\n$4\r\nname\r\n$-1\r\n").unwrap();
        assert_eq!(a.items().len(), 2);
        assert_eq!(
            parse("*2\r\n$4\r\nname\r\n$2\r\nab\r\n").unwrap().pairs(),
            [("name".into(), "ab".into())]
        );
        for bad in ["", "+OK", "$999999999999\r\n", "*-5\r\n", "?x\r\n", "$3\r\nab", ":x\r\n"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "*1\r\n".repeat(20) + ":1\r\n";
        assert!(parse(&deep).is_err(), "nesting is bounded");
    }
}
