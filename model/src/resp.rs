//! The Redis protocol as the actors exchange it: commands are decoded once into [`Command`]
//! (from argument vectors, as a client would send them) and replies are [`Reply`] values. Byte
//! counts that matter to replication offsets are the real RESP encodings ([`resp_len`]).
//!
//! Left out: RESP3, inline commands, the byte-level parser (nothing in the simulation is bytes).

use serde::{Serialize, Serializer};
use std::fmt;

/// The bytes of `*<n>\r\n$<len>\r\n<arg>\r\n...`: what a command adds to a replication offset.
pub fn resp_len<S: AsRef<str>>(argv: &[S]) -> u64 {
    fn digits(mut n: usize) -> u64 {
        let mut d = 1;
        while n >= 10 {
            n /= 10;
            d += 1;
        }
        d
    }
    let mut len = 1 + digits(argv.len()) + 2;
    for a in argv {
        let n = a.as_ref().len();
        len += 1 + digits(n) + 2 + n as u64 + 2;
    }
    len
}

/// `REPLICAOF` / `SLAVEOF` target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicaOf {
    /// `NO ONE`: become a master.
    NoOne,
    /// Replicate from `host port`.
    Master(String, u16),
}

/// `REPLCONF` subcommands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplConf {
    /// `listening-port <port>` (handshake).
    ListeningPort(u16),
    /// `capa eof capa psync2` (handshake).
    Capa,
    /// `ACK <offset>`: a replica reports what it applied.
    Ack(i64),
    /// `GETACK *`: the master asks for an ACK now.
    GetAck,
}

/// `CLIENT KILL` filters that Sentinel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientType {
    /// Ordinary clients.
    Normal,
    /// Clients in pub/sub mode.
    Pubsub,
    /// Replicas attached to this server.
    Replica,
    /// This server's master link.
    Master,
}

impl ClientType {
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "normal" => Some(ClientType::Normal),
            "pubsub" => Some(ClientType::Pubsub),
            "replica" | "slave" => Some(ClientType::Replica),
            "master" => Some(ClientType::Master),
            _ => None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            ClientType::Normal => "normal",
            ClientType::Pubsub => "pubsub",
            ClientType::Replica => "replica",
            ClientType::Master => "master",
        }
    }
}

/// `SENTINEL` subcommands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SentinelCmd {
    /// `GET-MASTER-ADDR-BY-NAME <name>`.
    GetMasterAddrByName(String),
    /// `MASTERS`.
    Masters,
    /// `MASTER <name>`.
    Master(String),
    /// `REPLICAS <name>` (alias `SLAVES`).
    Replicas(String),
    /// `SENTINELS <name>`.
    Sentinels(String),
    /// `IS-MASTER-DOWN-BY-ADDR <ip> <port> <epoch> <runid|*>`.
    IsMasterDownByAddr { ip: String, port: u16, epoch: u64, runid: String },
    /// `CKQUORUM <name>`.
    CkQuorum(String),
    /// `FAILOVER <name>`.
    Failover(String),
    /// `RESET <pattern>`.
    Reset(String),
    /// `MYID`.
    MyId,
}

/// A decoded command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `PING [message]`.
    Ping(Option<String>),
    /// `ECHO message`.
    Echo(String),
    /// `GET key`.
    Get(String),
    /// `SET key value [NX|XX] [GET]`.
    Set { key: String, value: String, cond: SetCond, get: bool },
    /// `DEL key...`.
    Del(Vec<String>),
    /// `INCR key`.
    Incr(String),
    /// `EXISTS key...`.
    Exists(Vec<String>),
    /// `DBSIZE`.
    DbSize,
    /// `FLUSHALL`.
    FlushAll,
    /// `SELECT db` (the model has database 0 only).
    Select(i64),
    /// `ROLE`.
    Role,
    /// `INFO [section...]`.
    Info(Vec<String>),
    /// `REPLICAOF` / `SLAVEOF`.
    ReplicaOf(ReplicaOf),
    /// `WAIT numreplicas timeout`.
    Wait { replicas: i64, timeout_ms: i64 },
    /// `REPLCONF ...`.
    ReplConf(ReplConf),
    /// `PSYNC replid offset`.
    Psync { replid: String, offset: i64 },
    /// `PUBLISH channel message`.
    Publish { channel: String, message: String },
    /// `SUBSCRIBE channel...`.
    Subscribe(Vec<String>),
    /// `MULTI`.
    Multi,
    /// `EXEC`.
    Exec,
    /// `DISCARD`.
    Discard,
    /// `CONFIG REWRITE`.
    ConfigRewrite,
    /// `CONFIG GET parameter`.
    ConfigGet(String),
    /// `CLIENT KILL TYPE <type>` (with the new syntax, the caller is skipped).
    ClientKill(ClientType),
    /// `CLIENT SETNAME name`.
    ClientSetName(String),
    /// `SENTINEL ...`.
    Sentinel(SentinelCmd),
    /// A command that failed to parse: the error to reply with, and the original name.
    Invalid { name: String, error: String },
}

/// `SET` conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetCond {
    /// Always set.
    Always,
    /// `NX`: only if absent.
    IfAbsent,
    /// `XX`: only if present.
    IfPresent,
}

fn arity(name: &str) -> String {
    format!("ERR wrong number of arguments for '{}' command", name.to_ascii_lowercase())
}

fn unknown(argv: &[String]) -> String {
    let mut args = String::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let shown: String = a.chars().take(room).collect();
        args.push_str(&format!("'{shown}' "));
    }
    let name: String = argv[0].chars().take(128).collect();
    format!("ERR unknown command '{name}', with args beginning with: {args}")
        .replace(['\r', '\n'], " ")
}

fn int(s: &str) -> Option<i64> {
    s.parse().ok()
}

impl Command {
    /// Decodes an argument vector as Redis 7.0 would, with its error texts.
    pub fn parse(argv: &[String]) -> Command {
        let Some(first) = argv.first() else {
            return Command::Invalid {
                name: String::new(),
                error: "ERR empty command".to_string(),
            };
        };
        let name = first.to_ascii_uppercase();
        let n = argv.len();
        let a = |i: usize| argv[i].clone();
        let bad = |error: String| Command::Invalid { name: name.clone(), error };
        let syntax =
            || Command::Invalid { name: name.clone(), error: "ERR syntax error".to_string() };
        let not_int = || Command::Invalid {
            name: name.clone(),
            error: "ERR value is not an integer or out of range".to_string(),
        };
        match name.as_str() {
            "PING" if n <= 2 => Command::Ping(argv.get(1).cloned()),
            "ECHO" if n == 2 => Command::Echo(a(1)),
            "GET" if n == 2 => Command::Get(a(1)),
            "SET" if n >= 3 => {
                let mut cond = SetCond::Always;
                let mut get = false;
                for opt in &argv[3..] {
                    match opt.to_ascii_uppercase().as_str() {
                        "NX" if cond == SetCond::Always => cond = SetCond::IfAbsent,
                        "XX" if cond == SetCond::Always => cond = SetCond::IfPresent,
                        "GET" => get = true,
                        "EX" | "PX" | "EXAT" | "PXAT" | "KEEPTTL" => {
                            return bad(format!(
                                "ERR the model does not implement key expiry (SET ... {})",
                                opt.to_ascii_uppercase()
                            ));
                        }
                        _ => return syntax(),
                    }
                }
                Command::Set { key: a(1), value: a(2), cond, get }
            }
            "DEL" if n >= 2 => Command::Del(argv[1..].to_vec()),
            "INCR" if n == 2 => Command::Incr(a(1)),
            "EXISTS" if n >= 2 => Command::Exists(argv[1..].to_vec()),
            "DBSIZE" if n == 1 => Command::DbSize,
            "FLUSHALL" if n <= 2 => Command::FlushAll,
            "SELECT" if n == 2 => match int(&argv[1]) {
                Some(db) => Command::Select(db),
                None => not_int(),
            },
            "ROLE" if n == 1 => Command::Role,
            "INFO" => Command::Info(argv[1..].iter().map(|s| s.to_ascii_lowercase()).collect()),
            "REPLICAOF" | "SLAVEOF" if n == 3 => {
                if argv[1].eq_ignore_ascii_case("no") && argv[2].eq_ignore_ascii_case("one") {
                    Command::ReplicaOf(ReplicaOf::NoOne)
                } else {
                    match argv[2].parse::<u16>() {
                        Ok(port) => Command::ReplicaOf(ReplicaOf::Master(a(1), port)),
                        Err(_) => bad("ERR Invalid master port".to_string()),
                    }
                }
            }
            "WAIT" if n == 3 => match (int(&argv[1]), int(&argv[2])) {
                (Some(replicas), Some(timeout_ms)) if timeout_ms >= 0 => {
                    Command::Wait { replicas, timeout_ms }
                }
                (Some(_), Some(_)) => bad("ERR timeout is negative".to_string()),
                _ => not_int(),
            },
            "REPLCONF" if n >= 2 && n % 2 == 1 => {
                match (argv[1].to_ascii_lowercase().as_str(), argv.get(2)) {
                    ("listening-port", Some(p)) => match p.parse() {
                        Ok(port) => Command::ReplConf(ReplConf::ListeningPort(port)),
                        Err(_) => not_int(),
                    },
                    ("capa", _) => Command::ReplConf(ReplConf::Capa),
                    ("ack", Some(o)) => match int(o) {
                        Some(off) => Command::ReplConf(ReplConf::Ack(off)),
                        None => not_int(),
                    },
                    ("getack", _) => Command::ReplConf(ReplConf::GetAck),
                    _ => bad(format!("ERR Unrecognized REPLCONF option: {}", argv[1])),
                }
            }
            "REPLCONF" => syntax(),
            "PSYNC" if n == 3 => match int(&argv[2]) {
                Some(offset) => Command::Psync { replid: a(1), offset },
                None => not_int(),
            },
            "PUBLISH" if n == 3 => Command::Publish { channel: a(1), message: a(2) },
            "SUBSCRIBE" if n >= 2 => Command::Subscribe(argv[1..].to_vec()),
            "MULTI" if n == 1 => Command::Multi,
            "EXEC" if n == 1 => Command::Exec,
            "DISCARD" if n == 1 => Command::Discard,
            "CONFIG" if n >= 2 => match (argv[1].to_ascii_uppercase().as_str(), n) {
                ("REWRITE", 2) => Command::ConfigRewrite,
                ("GET", 3) => Command::ConfigGet(argv[2].to_ascii_lowercase()),
                ("REWRITE" | "GET", _) => bad(format!(
                    "ERR wrong number of arguments for 'config|{}' command",
                    argv[1].to_ascii_lowercase()
                )),
                _ => bad(format!("ERR unknown subcommand '{}'. Try CONFIG HELP.", argv[1])),
            },
            "CLIENT" if n >= 2 => match argv[1].to_ascii_uppercase().as_str() {
                "KILL" if n == 4 && argv[2].eq_ignore_ascii_case("type") => {
                    match ClientType::parse(&argv[3]) {
                        Some(t) => Command::ClientKill(t),
                        None => bad(format!("ERR Unknown client type '{}'", argv[3])),
                    }
                }
                "KILL" => bad("ERR syntax error (the model supports CLIENT KILL TYPE <type> only)"
                    .to_string()),
                "SETNAME" if n == 3 => Command::ClientSetName(a(2)),
                _ => bad(format!("ERR unknown subcommand '{}'. Try CLIENT HELP.", argv[1])),
            },
            "SENTINEL" if n >= 2 => Self::parse_sentinel(argv),
            "PING" | "ECHO" | "GET" | "SET" | "DEL" | "INCR" | "EXISTS" | "DBSIZE" | "FLUSHALL"
            | "SELECT" | "ROLE" | "REPLICAOF" | "SLAVEOF" | "WAIT" | "PSYNC" | "PUBLISH"
            | "SUBSCRIBE" | "MULTI" | "EXEC" | "DISCARD" | "CONFIG" | "CLIENT" | "SENTINEL" => {
                bad(arity(&name))
            }
            _ => bad(unknown(argv)),
        }
    }

    fn parse_sentinel(argv: &[String]) -> Command {
        let sub = argv[1].to_ascii_uppercase();
        let n = argv.len();
        let cmd = |c: SentinelCmd| Command::Sentinel(c);
        let arg = |i: usize| argv[i].clone();
        let bad = |error: String| Command::Invalid { name: "SENTINEL".to_string(), error };
        match (sub.as_str(), n) {
            ("GET-MASTER-ADDR-BY-NAME", 3) => cmd(SentinelCmd::GetMasterAddrByName(arg(2))),
            ("MASTERS", 2) => cmd(SentinelCmd::Masters),
            ("MASTER", 3) => cmd(SentinelCmd::Master(arg(2))),
            ("REPLICAS" | "SLAVES", 3) => cmd(SentinelCmd::Replicas(arg(2))),
            ("SENTINELS", 3) => cmd(SentinelCmd::Sentinels(arg(2))),
            ("IS-MASTER-DOWN-BY-ADDR", 6) => match (argv[3].parse(), argv[4].parse()) {
                (Ok(port), Ok(epoch)) => {
                    cmd(SentinelCmd::IsMasterDownByAddr { ip: arg(2), port, epoch, runid: arg(5) })
                }
                _ => bad("ERR value is not an integer or out of range".to_string()),
            },
            ("CKQUORUM", 3) => cmd(SentinelCmd::CkQuorum(arg(2))),
            ("FAILOVER", 3) => cmd(SentinelCmd::Failover(arg(2))),
            ("RESET", 3) => cmd(SentinelCmd::Reset(arg(2))),
            ("MYID", 2) => cmd(SentinelCmd::MyId),
            (
                "GET-MASTER-ADDR-BY-NAME"
                | "MASTERS"
                | "MASTER"
                | "REPLICAS"
                | "SLAVES"
                | "SENTINELS"
                | "IS-MASTER-DOWN-BY-ADDR"
                | "CKQUORUM"
                | "FAILOVER"
                | "RESET"
                | "MYID",
                _,
            ) => bad(format!(
                "ERR wrong number of arguments for 'sentinel|{}' command",
                sub.to_ascii_lowercase()
            )),
            _ => bad(format!("ERR unknown subcommand '{}'. Try SENTINEL HELP.", argv[1])),
        }
    }

    /// Decodes string slices (convenience for tests and scenario commands).
    pub fn from_strs(argv: &[&str]) -> Command {
        Command::parse(&argv.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    /// True for commands that change the dataset (Redis's `write` flag).
    pub fn is_write(&self) -> bool {
        matches!(self, Command::Set { .. } | Command::Del(_) | Command::Incr(_) | Command::FlushAll)
    }

    /// The argument vector, as it would travel (and as it is propagated to replicas).
    pub fn argv(&self) -> Vec<String> {
        let s = |x: &str| x.to_string();
        match self {
            Command::Ping(None) => vec![s("PING")],
            Command::Ping(Some(m)) => vec![s("PING"), m.clone()],
            Command::Echo(m) => vec![s("ECHO"), m.clone()],
            Command::Get(k) => vec![s("GET"), k.clone()],
            Command::Set { key, value, cond, get } => {
                let mut v = vec![s("SET"), key.clone(), value.clone()];
                match cond {
                    SetCond::Always => {}
                    SetCond::IfAbsent => v.push(s("NX")),
                    SetCond::IfPresent => v.push(s("XX")),
                }
                if *get {
                    v.push(s("GET"));
                }
                v
            }
            Command::Del(keys) => std::iter::once(s("DEL")).chain(keys.iter().cloned()).collect(),
            Command::Incr(k) => vec![s("INCR"), k.clone()],
            Command::Exists(keys) => {
                std::iter::once(s("EXISTS")).chain(keys.iter().cloned()).collect()
            }
            Command::DbSize => vec![s("DBSIZE")],
            Command::FlushAll => vec![s("FLUSHALL")],
            Command::Select(db) => vec![s("SELECT"), db.to_string()],
            Command::Role => vec![s("ROLE")],
            Command::Info(sections) => {
                std::iter::once(s("INFO")).chain(sections.iter().cloned()).collect()
            }
            Command::ReplicaOf(ReplicaOf::NoOne) => vec![s("REPLICAOF"), s("NO"), s("ONE")],
            Command::ReplicaOf(ReplicaOf::Master(h, p)) => {
                vec![s("REPLICAOF"), h.clone(), p.to_string()]
            }
            Command::Wait { replicas, timeout_ms } => {
                vec![s("WAIT"), replicas.to_string(), timeout_ms.to_string()]
            }
            Command::ReplConf(ReplConf::ListeningPort(p)) => {
                vec![s("REPLCONF"), s("listening-port"), p.to_string()]
            }
            Command::ReplConf(ReplConf::Capa) => {
                vec![s("REPLCONF"), s("capa"), s("eof"), s("capa"), s("psync2")]
            }
            Command::ReplConf(ReplConf::Ack(o)) => vec![s("REPLCONF"), s("ACK"), o.to_string()],
            Command::ReplConf(ReplConf::GetAck) => vec![s("REPLCONF"), s("GETACK"), s("*")],
            Command::Psync { replid, offset } => {
                vec![s("PSYNC"), replid.clone(), offset.to_string()]
            }
            Command::Publish { channel, message } => {
                vec![s("PUBLISH"), channel.clone(), message.clone()]
            }
            Command::Subscribe(chs) => {
                std::iter::once(s("SUBSCRIBE")).chain(chs.iter().cloned()).collect()
            }
            Command::Multi => vec![s("MULTI")],
            Command::Exec => vec![s("EXEC")],
            Command::Discard => vec![s("DISCARD")],
            Command::ConfigRewrite => vec![s("CONFIG"), s("REWRITE")],
            Command::ConfigGet(p) => vec![s("CONFIG"), s("GET"), p.clone()],
            Command::ClientKill(t) => vec![s("CLIENT"), s("KILL"), s("TYPE"), s(t.name())],
            Command::ClientSetName(n) => vec![s("CLIENT"), s("SETNAME"), n.clone()],
            Command::Sentinel(c) => {
                let mut v = vec![s("SENTINEL")];
                match c {
                    SentinelCmd::GetMasterAddrByName(m) => {
                        v.extend([s("get-master-addr-by-name"), m.clone()])
                    }
                    SentinelCmd::Masters => v.push(s("masters")),
                    SentinelCmd::Master(m) => v.extend([s("master"), m.clone()]),
                    SentinelCmd::Replicas(m) => v.extend([s("replicas"), m.clone()]),
                    SentinelCmd::Sentinels(m) => v.extend([s("sentinels"), m.clone()]),
                    SentinelCmd::IsMasterDownByAddr { ip, port, epoch, runid } => v.extend([
                        s("is-master-down-by-addr"),
                        ip.clone(),
                        port.to_string(),
                        epoch.to_string(),
                        runid.clone(),
                    ]),
                    SentinelCmd::CkQuorum(m) => v.extend([s("ckquorum"), m.clone()]),
                    SentinelCmd::Failover(m) => v.extend([s("failover"), m.clone()]),
                    SentinelCmd::Reset(m) => v.extend([s("reset"), m.clone()]),
                    SentinelCmd::MyId => v.push(s("myid")),
                }
                v
            }
            Command::Invalid { name, .. } => vec![name.clone()],
        }
    }
}

impl fmt::Display for Command {
    /// The command as redis-cli would echo it: `SET iam master`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.argv().join(" "))
    }
}

impl Serialize for Command {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.argv().serialize(s)
    }
}

/// A reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Ok,
    /// Another status line: `+PONG`, `+QUEUED`, `+FULLRESYNC ...`.
    Status(String),
    /// An error line, without the leading `-`: `NOREPLICAS Not enough good replicas to write.`
    Error(String),
    /// `:n`.
    Int(i64),
    /// A bulk string, or nil.
    Bulk(Option<String>),
    /// An array, or the null array.
    Array(Option<Vec<Reply>>),
    /// An `INFO` reply, kept structured: rendered as text only when someone reads it.
    Info(Box<crate::info::Info>),
}

impl Reply {
    /// An error reply from text (with or without the leading `-`).
    pub fn err(text: impl Into<String>) -> Reply {
        let t: String = text.into();
        Reply::Error(t.strip_prefix('-').map(str::to_string).unwrap_or(t))
    }

    /// A bulk string.
    pub fn bulk(s: impl Into<String>) -> Reply {
        Reply::Bulk(Some(s.into()))
    }

    /// An array of bulk strings.
    pub fn strings<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Reply {
        Reply::Array(Some(items.into_iter().map(|s| Reply::bulk(s)).collect()))
    }

    /// The error text, if this is an error.
    pub fn error(&self) -> Option<&str> {
        match self {
            Reply::Error(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Reply {
    /// As redis-cli prints a reply (compactly: arrays on one line).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Ok => f.write_str("OK"),
            Reply::Status(s) => f.write_str(s),
            Reply::Error(e) => write!(f, "(error) {e}"),
            Reply::Int(i) => write!(f, "(integer) {i}"),
            Reply::Bulk(Some(s)) => write!(f, "\"{s}\""),
            Reply::Bulk(None) | Reply::Array(None) => f.write_str("(nil)"),
            Reply::Array(Some(items)) => {
                f.write_str("[")?;
                for (i, r) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{r}")?;
                }
                f.write_str("]")
            }
            Reply::Info(info) => f.write_str(&info.render()),
        }
    }
}

impl Serialize for Reply {
    /// Compact RESP-like text: `+OK`, `-ERR ...`, `:1`, `$value`, `$-1`, arrays as JSON arrays,
    /// INFO as its rendered text.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Reply::Ok => s.serialize_str("+OK"),
            Reply::Status(x) => s.serialize_str(&format!("+{x}")),
            Reply::Error(e) => s.serialize_str(&format!("-{e}")),
            Reply::Int(i) => s.serialize_str(&format!(":{i}")),
            Reply::Bulk(Some(b)) => s.serialize_str(&format!("${b}")),
            Reply::Bulk(None) => s.serialize_str("$-1"),
            Reply::Array(None) => s.serialize_str("*-1"),
            Reply::Array(Some(items)) => items.serialize(s),
            Reply::Info(info) => s.serialize_str(&info.render()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp_lengths_match_the_wire() {
        // *1\r\n$4\r\nPING\r\n
        assert_eq!(resp_len(&["PING"]), 14);
        // *2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n
        assert_eq!(resp_len(&["SELECT", "0"]), 23);
        assert_eq!(
            resp_len(&["SET", "key", "value"]),
            "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".len() as u64
        );
        let long = "x".repeat(123);
        assert_eq!(resp_len(&[long.as_str()]), 4 + 6 + 123 + 2);
    }

    #[test]
    fn errors_use_redis_texts() {
        let e = |v: &[&str]| match Command::from_strs(v) {
            Command::Invalid { error, .. } => error,
            other => panic!("{other:?}"),
        };
        assert_eq!(e(&["SET", "k"]), "ERR wrong number of arguments for 'set' command");
        assert_eq!(
            e(&["FOO", "a", "b"]),
            "ERR unknown command 'FOO', with args beginning with: 'a' 'b' "
        );
        assert_eq!(e(&["foo"]), "ERR unknown command 'foo', with args beginning with: ");
        assert_eq!(e(&["SET", "k", "v", "BOGUS"]), "ERR syntax error");
        assert_eq!(e(&["REPLICAOF", "h", "port"]), "ERR Invalid master port");
    }

    #[test]
    fn commands_round_trip_through_argv() {
        for v in [
            vec!["SET", "k", "v"],
            vec!["REPLICAOF", "NO", "ONE"],
            vec!["REPLICAOF", "10.0.0.1", "6379"],
            vec!["WAIT", "1", "100"],
            vec!["PSYNC", "?", "-1"],
            vec!["CLIENT", "KILL", "TYPE", "normal"],
            vec!["PUBLISH", "__sentinel__:hello", "x"],
        ] {
            let c = Command::from_strs(&v);
            assert!(!matches!(c, Command::Invalid { .. }), "{v:?}");
            assert_eq!(Command::parse(&c.argv()), c);
        }
        assert_eq!(
            Command::from_strs(&["slaveof", "no", "one"]),
            Command::ReplicaOf(ReplicaOf::NoOne)
        );
    }

    #[test]
    fn replies_serialise_compactly() {
        let r = Reply::Array(Some(vec![Reply::Int(0), Reply::bulk("*"), Reply::Bulk(None)]));
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"[":0","$*","$-1"]"#);
        assert_eq!(serde_json::to_string(&Reply::err("-READONLY x")).unwrap(), r#""-READONLY x""#);
    }
}
