//! The Redis protocol as the actors exchange it: commands are decoded once into [`Command`]
//! (from argument vectors, as a client would send them) and replies are [`Reply`] values. Byte
//! counts that matter to replication offsets are the real RESP encodings ([`Command::resp_len`]).
//!
//! Left out: RESP3, inline commands, the byte-level parser (nothing in the simulation is bytes).

use serde::{Serialize, Serializer};
use std::fmt;
use std::rc::Rc;

/// A key or a value: shared, not copied, by everything that holds it. A write's key and value
/// travel from the client through the master's dataset, the replication stream, the backlog, the
/// append-only files and every replica's dataset as one allocation each.
pub type Text = Rc<str>;

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
    /// `SET <name> <option> <value> [<option> <value> ...]`: the arguments after the name, as
    /// typed (`sentinelSetCommand` walks them pair by pair).
    Set { name: String, args: Vec<String> },
    /// `FLUSHCONFIG`.
    FlushConfig,
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
    Set { key: Text, value: Text, cond: SetCond, get: bool },
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
    Publish { channel: Text, message: Text },
    /// `SUBSCRIBE channel...`.
    Subscribe(Vec<String>),
    /// `PSUBSCRIBE pattern...`.
    PSubscribe(Vec<String>),
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
                Command::Set { key: Text::from(a(1)), value: Text::from(a(2)), cond, get }
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
            "PUBLISH" if n == 3 => Command::Publish { channel: a(1).into(), message: a(2).into() },
            "SUBSCRIBE" if n >= 2 => Command::Subscribe(argv[1..].to_vec()),
            "PSUBSCRIBE" if n >= 2 => Command::PSubscribe(argv[1..].to_vec()),
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
            ("SET", 5..) => cmd(SentinelCmd::Set { name: arg(2), args: argv[3..].to_vec() }),
            ("FLUSHCONFIG", 2) => cmd(SentinelCmd::FlushConfig),
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
                | "MYID"
                | "SET"
                | "FLUSHCONFIG",
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
        let mut v = Vec::new();
        self.each_arg(&mut |a| {
            v.push(match a {
                Arg::Str(s) => s.to_string(),
                Arg::Int(n) => n.to_string(),
            })
        });
        v
    }

    /// The length of the command in RESP (`*<n>\r\n` and `$<len>\r\n<arg>\r\n` per argument):
    /// what it adds to a replication offset. Computed without building the argument vector.
    pub fn resp_len(&self) -> u64 {
        let (mut count, mut body) = (0usize, 0u64);
        self.each_arg(&mut |a| {
            let n = match a {
                Arg::Str(s) => s.len(),
                Arg::Int(i) => decimal_len(i),
            };
            count += 1;
            body += 1 + digits(n) + 2 + n as u64 + 2;
        });
        1 + digits(count) + 2 + body
    }

    /// Calls `f` on every argument, in order, as it would travel.
    fn each_arg(&self, f: &mut dyn FnMut(Arg<'_>)) {
        let mut str = |x: &str| f(Arg::Str(x));
        match self {
            Command::Ping(m) => {
                str("PING");
                m.iter().for_each(|m| str(m));
            }
            Command::Echo(m) => ["ECHO", m].into_iter().for_each(&mut str),
            Command::Get(k) => ["GET", k].into_iter().for_each(&mut str),
            Command::Set { key, value, cond, get } => {
                ["SET", key, value].into_iter().for_each(&mut str);
                match cond {
                    SetCond::Always => {}
                    SetCond::IfAbsent => str("NX"),
                    SetCond::IfPresent => str("XX"),
                }
                if *get {
                    str("GET");
                }
            }
            Command::Del(keys) => {
                str("DEL");
                keys.iter().for_each(|k| str(k));
            }
            Command::Incr(k) => ["INCR", k].into_iter().for_each(&mut str),
            Command::Exists(keys) => {
                str("EXISTS");
                keys.iter().for_each(|k| str(k));
            }
            Command::DbSize => str("DBSIZE"),
            Command::FlushAll => str("FLUSHALL"),
            Command::Select(db) => {
                str("SELECT");
                f(Arg::Int(*db));
            }
            Command::Role => str("ROLE"),
            Command::Info(sections) => {
                str("INFO");
                sections.iter().for_each(|x| str(x));
            }
            Command::ReplicaOf(ReplicaOf::NoOne) => {
                ["REPLICAOF", "NO", "ONE"].into_iter().for_each(&mut str)
            }
            Command::ReplicaOf(ReplicaOf::Master(h, p)) => {
                ["REPLICAOF", h].into_iter().for_each(&mut str);
                f(Arg::Int(i64::from(*p)));
            }
            Command::Wait { replicas, timeout_ms } => {
                f(Arg::Str("WAIT"));
                f(Arg::Int(*replicas));
                f(Arg::Int(*timeout_ms));
            }
            Command::ReplConf(ReplConf::ListeningPort(p)) => {
                ["REPLCONF", "listening-port"].into_iter().for_each(&mut str);
                f(Arg::Int(i64::from(*p)));
            }
            Command::ReplConf(ReplConf::Capa) => {
                ["REPLCONF", "capa", "eof", "capa", "psync2"].into_iter().for_each(&mut str)
            }
            Command::ReplConf(ReplConf::Ack(o)) => {
                ["REPLCONF", "ACK"].into_iter().for_each(&mut str);
                f(Arg::Int(*o));
            }
            Command::ReplConf(ReplConf::GetAck) => {
                ["REPLCONF", "GETACK", "*"].into_iter().for_each(&mut str)
            }
            Command::Psync { replid, offset } => {
                ["PSYNC", replid].into_iter().for_each(&mut str);
                f(Arg::Int(*offset));
            }
            Command::Publish { channel, message } => {
                ["PUBLISH", &**channel, &**message].into_iter().for_each(&mut str)
            }
            Command::Subscribe(chs) => {
                str("SUBSCRIBE");
                chs.iter().for_each(|c| str(c));
            }
            Command::PSubscribe(pats) => {
                str("PSUBSCRIBE");
                pats.iter().for_each(|c| str(c));
            }
            Command::Multi => str("MULTI"),
            Command::Exec => str("EXEC"),
            Command::Discard => str("DISCARD"),
            Command::ConfigRewrite => ["CONFIG", "REWRITE"].into_iter().for_each(&mut str),
            Command::ConfigGet(p) => ["CONFIG", "GET", p].into_iter().for_each(&mut str),
            Command::ClientKill(t) => {
                ["CLIENT", "KILL", "TYPE", t.name()].into_iter().for_each(&mut str)
            }
            Command::ClientSetName(n) => ["CLIENT", "SETNAME", n].into_iter().for_each(&mut str),
            Command::Sentinel(c) => {
                str("SENTINEL");
                match c {
                    SentinelCmd::GetMasterAddrByName(m) => {
                        ["get-master-addr-by-name", m].into_iter().for_each(&mut str)
                    }
                    SentinelCmd::Masters => str("masters"),
                    SentinelCmd::Master(m) => ["master", m].into_iter().for_each(&mut str),
                    SentinelCmd::Replicas(m) => ["replicas", m].into_iter().for_each(&mut str),
                    SentinelCmd::Sentinels(m) => ["sentinels", m].into_iter().for_each(&mut str),
                    SentinelCmd::IsMasterDownByAddr { ip, port, epoch, runid } => {
                        ["is-master-down-by-addr", ip].into_iter().for_each(&mut str);
                        f(Arg::Int(i64::from(*port)));
                        f(Arg::Int(*epoch as i64));
                        f(Arg::Str(runid));
                    }
                    SentinelCmd::CkQuorum(m) => ["ckquorum", m].into_iter().for_each(&mut str),
                    SentinelCmd::Failover(m) => ["failover", m].into_iter().for_each(&mut str),
                    SentinelCmd::Reset(m) => ["reset", m].into_iter().for_each(&mut str),
                    SentinelCmd::MyId => str("myid"),
                    SentinelCmd::Set { name, args } => {
                        ["set", name].into_iter().for_each(&mut str);
                        args.iter().for_each(|a| str(a));
                    }
                    SentinelCmd::FlushConfig => str("flushconfig"),
                }
            }
            Command::Invalid { name, .. } => str(name),
        }
    }
}

/// One argument of a command: text, or a number that travels in decimal.
#[derive(Clone, Copy)]
enum Arg<'a> {
    Str(&'a str),
    Int(i64),
}

/// Decimal digits of `n`.
fn digits(mut n: usize) -> u64 {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Characters of `i` in decimal, sign included.
fn decimal_len(i: i64) -> usize {
    digits(i.unsigned_abs() as usize) as usize + usize::from(i < 0)
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
    /// The length of the reply in RESP (an `INFO` reply counted at a typical 4 kB).
    pub fn resp_len(&self) -> u64 {
        let bulk = |n: usize| 1 + digits(n) + 2 + n as u64 + 2;
        match self {
            Reply::Ok => 5,
            Reply::Status(s) | Reply::Error(s) => s.len() as u64 + 3,
            Reply::Int(i) => decimal_len(*i) as u64 + 3,
            Reply::Bulk(None) | Reply::Array(None) => 5,
            Reply::Bulk(Some(s)) => bulk(s.len()),
            Reply::Array(Some(items)) => {
                1 + digits(items.len()) + 2 + items.iter().map(Reply::resp_len).sum::<u64>()
            }
            Reply::Info(_) => bulk(4096),
        }
    }

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
        let len = |v: &[&str]| Command::from_strs(v).resp_len();
        // *1\r\n$4\r\nPING\r\n
        assert_eq!(len(&["PING"]), 14);
        // *2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n
        assert_eq!(len(&["SELECT", "0"]), 23);
        assert_eq!(
            len(&["SET", "key", "value"]),
            "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".len() as u64
        );
        let long = "x".repeat(123);
        assert_eq!(len(&["ECHO", long.as_str()]), 4 + 10 + 6 + 123 + 2);
        // Negative numbers travel with their sign.
        assert_eq!(
            len(&["PSYNC", "?", "-1"]),
            "*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n".len() as u64
        );
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
            let wire: usize =
                c.argv().iter().map(|a| 1 + a.len().to_string().len() + 2 + a.len() + 2).sum();
            assert_eq!(
                c.resp_len() as usize,
                1 + c.argv().len().to_string().len() + 2 + wire,
                "{c:?}"
            );
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
