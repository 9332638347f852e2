//! Host packet filters modelled on iptables' `filter` table: an INPUT and an OUTPUT chain per host,
//! rules evaluated in order, first match wins, policy ACCEPT.
//!
//! Every packet in the simulation is TCP. A packet leaving host S for host D passes S's OUTPUT chain
//! and then D's INPUT chain; traffic between two processes of one host passes that host's OUTPUT
//! and INPUT chains, as loopback traffic does on Linux. A reply on an established connection
//! carries the server's port as its *source* port, which is what makes
//! `-A INPUT -p tcp --sport 27001 -j DROP` cut the replies of the process listening on 27001.
//!
//! Left out: tables other than `filter`, FORWARD, interfaces (`-i`/`-o`), negation (`!`), address
//! masks other than `/32`, conntrack states. Using one is an error that names the token.

use crate::ids::HostId;
use std::fmt;

/// A chain of the filter table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Chain {
    /// Packets arriving at the host.
    Input,
    /// Packets leaving the host.
    Output,
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Chain::Input => "INPUT",
            Chain::Output => "OUTPUT",
        })
    }
}

/// What happens to a packet that matches a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Let it through (stop evaluating the chain).
    Accept,
    /// Discard it silently: TCP retransmits.
    Drop,
    /// Discard it and tell the sender: a connect is refused at once.
    Reject(RejectWith),
}

/// `--reject-with`: the answer a REJECT rule sends back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectWith {
    /// An ICMP error (iptables' default `icmp-port-unreachable`, and the other ICMP types). Linux
    /// refuses a pending connect on it, but treats it as a soft error on an established
    /// connection, which keeps retransmitting as under DROP.
    Icmp,
    /// A TCP reset: the sender's connection is reset.
    TcpReset,
}

/// An inclusive port range, `N` or `N:M`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// Lowest port.
    pub lo: u16,
    /// Highest port.
    pub hi: u16,
}

/// One rule. `None` fields match anything.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// `-s`: source hosts.
    pub src: Option<Vec<HostId>>,
    /// `-d`: destination hosts.
    pub dst: Option<Vec<HostId>>,
    /// `-p tcp` was given (every simulated packet is TCP, so this only licenses the port options).
    pub tcp: bool,
    /// `--sport`.
    pub sport: Option<PortRange>,
    /// `--dport`.
    pub dport: Option<PortRange>,
    /// `-j`.
    pub target: Target,
}

/// A packet as the filter sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Sending host.
    pub src: HostId,
    /// Receiving host.
    pub dst: HostId,
    /// Source TCP port.
    pub sport: u16,
    /// Destination TCP port.
    pub dport: u16,
}

impl Rule {
    /// True when every condition of the rule holds for `p`.
    pub fn matches(&self, p: &Packet) -> bool {
        let host_in =
            |set: &Option<Vec<HostId>>, h: HostId| set.as_ref().is_none_or(|s| s.contains(&h));
        let port_in =
            |r: &Option<PortRange>, port: u16| r.is_none_or(|r| (r.lo..=r.hi).contains(&port));
        host_in(&self.src, p.src)
            && host_in(&self.dst, p.dst)
            && port_in(&self.sport, p.sport)
            && port_in(&self.dport, p.dport)
    }
}

/// A rule as installed: the parsed rule and the text it was written as, for traces and timelines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledRule {
    /// The rule.
    pub rule: Rule,
    /// The rule specification as written, without the command (`-s 10.162.29.33 -j DROP`).
    pub spec: String,
}

/// The INPUT and OUTPUT chains of one host.
#[derive(Clone, Debug, Default)]
pub struct FilterTable {
    input: Vec<InstalledRule>,
    output: Vec<InstalledRule>,
}

impl FilterTable {
    /// The rules of `chain`, in evaluation order.
    pub fn chain(&self, chain: Chain) -> &[InstalledRule] {
        match chain {
            Chain::Input => &self.input,
            Chain::Output => &self.output,
        }
    }

    fn chain_mut(&mut self, chain: Chain) -> &mut Vec<InstalledRule> {
        match chain {
            Chain::Input => &mut self.input,
            Chain::Output => &mut self.output,
        }
    }

    /// Number of rules in both chains.
    pub fn len(&self) -> usize {
        self.input.len() + self.output.len()
    }

    /// True when both chains are empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The target of the first rule of `chain` matching `p`, if any.
    pub fn evaluate(&self, chain: Chain, p: &Packet) -> Option<Target> {
        self.chain(chain).iter().find(|r| r.rule.matches(p)).map(|r| r.rule.target)
    }

    /// Applies a parsed iptables command. Errors as iptables does when a rule to delete is absent.
    pub fn apply(&mut self, cmd: &FilterCommand) -> Result<(), FilterError> {
        match cmd {
            FilterCommand::Append(chain, r) => self.chain_mut(*chain).push(r.clone()),
            FilterCommand::Insert(chain, pos, r) => {
                let rules = self.chain_mut(*chain);
                let at = pos.saturating_sub(1);
                if at > rules.len() {
                    return Err(FilterError::new(0, pos.to_string(), "Index of insertion too big"));
                }
                rules.insert(at, r.clone());
            }
            FilterCommand::DeleteSpec(chain, r) => {
                let rules = self.chain_mut(*chain);
                let Some(i) = rules.iter().position(|x| x.rule == r.rule) else {
                    return Err(FilterError::new(
                        0,
                        r.spec.clone(),
                        "Bad rule (does a matching rule exist in that chain?)",
                    ));
                };
                rules.remove(i);
            }
            FilterCommand::DeleteNum(chain, n) => {
                let rules = self.chain_mut(*chain);
                if *n == 0 || *n > rules.len() {
                    return Err(FilterError::new(0, n.to_string(), "Index of deletion too big"));
                }
                rules.remove(n - 1);
            }
            FilterCommand::Flush(None) => {
                self.input.clear();
                self.output.clear();
            }
            FilterCommand::Flush(Some(chain)) => self.chain_mut(*chain).clear(),
        }
        Ok(())
    }
}

/// A parsed iptables command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterCommand {
    /// `-A CHAIN rule`.
    Append(Chain, InstalledRule),
    /// `-I CHAIN [N] rule` (N is 1-based, default 1).
    Insert(Chain, usize, InstalledRule),
    /// `-D CHAIN rule`.
    DeleteSpec(Chain, InstalledRule),
    /// `-D CHAIN N`.
    DeleteNum(Chain, usize),
    /// `-F [CHAIN]`.
    Flush(Option<Chain>),
}

/// Why an iptables command line was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}: `{token}`")]
pub struct FilterError {
    /// Byte offset of the offending token in the command line.
    pub offset: usize,
    /// The offending token.
    pub token: String,
    /// What is wrong with it.
    pub message: String,
}

impl FilterError {
    fn new(offset: usize, token: impl Into<String>, message: impl Into<String>) -> Self {
        FilterError { offset, token: token.into(), message: message.into() }
    }
}

struct Tokens<'a> {
    line: &'a str,
    items: Vec<(usize, &'a str)>,
    next: usize,
}

impl<'a> Tokens<'a> {
    fn new(line: &'a str) -> Self {
        let mut items = Vec::new();
        let mut start = None;
        for (i, c) in line.char_indices() {
            match (c.is_whitespace(), start) {
                (true, Some(s)) => {
                    items.push((s, &line[s..i]));
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        if let Some(s) = start {
            items.push((s, &line[s..]));
        }
        Tokens { line, items, next: 0 }
    }
    fn peek(&self) -> Option<(usize, &'a str)> {
        self.items.get(self.next).copied()
    }
    fn next(&mut self) -> Option<(usize, &'a str)> {
        let t = self.peek();
        self.next += usize::from(t.is_some());
        t
    }
    /// The value after option `opt` at `offset`.
    fn value(&mut self, offset: usize, opt: &str) -> Result<(usize, &'a str), FilterError> {
        self.next().ok_or_else(|| FilterError::new(offset, opt, "option requires an argument"))
    }
    fn end_offset(&self) -> usize {
        self.line.len()
    }
}

fn parse_chain(offset: usize, tok: &str) -> Result<Chain, FilterError> {
    match tok {
        "INPUT" => Ok(Chain::Input),
        "OUTPUT" => Ok(Chain::Output),
        "FORWARD" => {
            Err(FilterError::new(offset, tok, "unsupported chain (the model has no forwarding)"))
        }
        _ => Err(FilterError::new(offset, tok, "unknown chain: expected INPUT or OUTPUT")),
    }
}

fn parse_ports(offset: usize, tok: &str) -> Result<PortRange, FilterError> {
    let bad = || FilterError::new(offset, tok, "invalid port or port range");
    let (a, b) = tok.split_once(':').unwrap_or((tok, tok));
    let lo = if a.is_empty() { 0 } else { a.parse::<u16>().map_err(|_| bad())? };
    let hi = if b.is_empty() { u16::MAX } else { b.parse::<u16>().map_err(|_| bad())? };
    if lo > hi {
        return Err(bad());
    }
    Ok(PortRange { lo, hi })
}

fn parse_hosts(
    offset: usize,
    tok: &str,
    resolve: &dyn Fn(&str) -> Option<HostId>,
) -> Result<Vec<HostId>, FilterError> {
    let mut hosts = Vec::new();
    let mut at = offset;
    for name in tok.split(',') {
        let bare = name.strip_suffix("/32").unwrap_or(name);
        if bare.contains('/') {
            return Err(FilterError::new(at, name, "unsupported address mask (only /32)"));
        }
        let h = resolve(bare).ok_or_else(|| FilterError::new(at, name, "unknown host"))?;
        if !hosts.contains(&h) {
            hosts.push(h);
        }
        at += name.len() + 1;
    }
    Ok(hosts)
}

/// Parses the rule specification that follows a command: match options and the target.
fn parse_rule(
    toks: &mut Tokens<'_>,
    resolve: &dyn Fn(&str) -> Option<HostId>,
) -> Result<InstalledRule, FilterError> {
    let spec_start = toks.peek().map_or(toks.end_offset(), |(o, _)| o);
    let mut rule =
        Rule { src: None, dst: None, tcp: false, sport: None, dport: None, target: Target::Accept };
    let mut target: Option<(usize, Target)> = None;
    while let Some((off, tok)) = toks.next() {
        match tok {
            "-s" | "--source" | "--src" => {
                let (o, v) = toks.value(off, tok)?;
                rule.src = Some(parse_hosts(o, v, resolve)?);
            }
            "-d" | "--destination" | "--dst" => {
                let (o, v) = toks.value(off, tok)?;
                rule.dst = Some(parse_hosts(o, v, resolve)?);
            }
            "-p" | "--protocol" => {
                let (o, v) = toks.value(off, tok)?;
                match v {
                    "tcp" | "TCP" | "6" => rule.tcp = true,
                    "all" | "0" => {}
                    _ => {
                        return Err(FilterError::new(
                            o,
                            v,
                            "unsupported protocol (the model carries only tcp)",
                        ));
                    }
                }
            }
            "-m" | "--match" => {
                let (o, v) = toks.value(off, tok)?;
                if v != "tcp" {
                    return Err(FilterError::new(o, v, "unsupported match extension (only tcp)"));
                }
                if !rule.tcp {
                    return Err(FilterError::new(o, v, "the tcp match needs `-p tcp` before it"));
                }
            }
            "--sport" | "--source-port" | "--dport" | "--destination-port" => {
                if !rule.tcp {
                    return Err(FilterError::new(
                        off,
                        tok,
                        "unknown option (port matches need `-p tcp` first)",
                    ));
                }
                let (o, v) = toks.value(off, tok)?;
                let range = Some(parse_ports(o, v)?);
                if tok.starts_with("--s") { rule.sport = range } else { rule.dport = range }
            }
            "-j" | "--jump" => {
                let (o, v) = toks.value(off, tok)?;
                let t = match v {
                    "DROP" => Target::Drop,
                    "REJECT" => Target::Reject(RejectWith::Icmp),
                    "ACCEPT" => Target::Accept,
                    _ => {
                        return Err(FilterError::new(
                            o,
                            v,
                            "unsupported target: expected DROP, REJECT or ACCEPT",
                        ));
                    }
                };
                target = Some((o, t));
            }
            "--reject-with" => {
                let (o, v) = toks.value(off, tok)?;
                if !matches!(target, Some((_, Target::Reject(_)))) {
                    return Err(FilterError::new(
                        off,
                        tok,
                        "--reject-with needs `-j REJECT` before it",
                    ));
                }
                let with = match v {
                    "tcp-reset" | "tcp-rst" => RejectWith::TcpReset,
                    "icmp-port-unreachable"
                    | "icmp-host-unreachable"
                    | "icmp-net-unreachable"
                    | "icmp-proto-unreachable"
                    | "icmp-net-prohibited"
                    | "icmp-host-prohibited"
                    | "icmp-admin-prohibited" => RejectWith::Icmp,
                    _ => return Err(FilterError::new(o, v, "unknown --reject-with type")),
                };
                target = target.map(|(o, _)| (o, Target::Reject(with)));
            }
            "!" => return Err(FilterError::new(off, tok, "unsupported: negation")),
            _ => return Err(FilterError::new(off, tok, "unsupported option")),
        }
    }
    let Some((_, t)) = target else {
        return Err(FilterError::new(
            toks.end_offset(),
            "",
            "a rule needs a target (-j DROP, -j REJECT or -j ACCEPT)",
        ));
    };
    rule.target = t;
    Ok(InstalledRule { rule, spec: toks.line[spec_start..].trim().to_string() })
}

/// Parses one iptables command line such as `-A INPUT -s 10.162.29.33 -j DROP` or
/// `iptables -A INPUT -p tcp --sport 27001 -j DROP`. Host names are resolved by `resolve`.
pub fn parse_command(
    line: &str,
    resolve: &dyn Fn(&str) -> Option<HostId>,
) -> Result<FilterCommand, FilterError> {
    let mut toks = Tokens::new(line);
    if toks.peek().is_some_and(|(_, t)| t == "iptables") {
        toks.next();
    }
    if let Some((off, "-t" | "--table")) = toks.peek() {
        toks.next();
        let (o, v) = toks.value(off, "-t")?;
        if v != "filter" {
            return Err(FilterError::new(o, v, "unsupported table (only filter)"));
        }
    }
    let Some((off, cmd)) = toks.next() else {
        return Err(FilterError::new(0, "", "empty iptables command"));
    };
    let chain_arg = |toks: &mut Tokens<'_>| -> Result<Chain, FilterError> {
        let (o, v) = toks.value(off, cmd)?;
        parse_chain(o, v)
    };
    let command = match cmd {
        "-A" | "--append" => {
            let chain = chain_arg(&mut toks)?;
            FilterCommand::Append(chain, parse_rule(&mut toks, resolve)?)
        }
        "-I" | "--insert" => {
            let chain = chain_arg(&mut toks)?;
            let mut pos = 1;
            if let Some((o, v)) = toks.peek().filter(|(_, v)| v.bytes().all(|b| b.is_ascii_digit()))
            {
                toks.next();
                pos = v.parse().map_err(|_| FilterError::new(o, v, "invalid rule number"))?;
                if pos == 0 {
                    return Err(FilterError::new(o, v, "invalid rule number"));
                }
            }
            FilterCommand::Insert(chain, pos, parse_rule(&mut toks, resolve)?)
        }
        "-D" | "--delete" => {
            let chain = chain_arg(&mut toks)?;
            match toks.peek() {
                Some((o, v)) if v.bytes().all(|b| b.is_ascii_digit()) => {
                    toks.next();
                    let n = v.parse().map_err(|_| FilterError::new(o, v, "invalid rule number"))?;
                    if let Some((o2, extra)) = toks.next() {
                        return Err(FilterError::new(
                            o2,
                            extra,
                            "unexpected argument after the rule number",
                        ));
                    }
                    FilterCommand::DeleteNum(chain, n)
                }
                _ => FilterCommand::DeleteSpec(chain, parse_rule(&mut toks, resolve)?),
            }
        }
        "-F" | "--flush" => {
            let chain = match toks.next() {
                Some((o, v)) => Some(parse_chain(o, v)?),
                None => None,
            };
            if let Some((o, extra)) = toks.next() {
                return Err(FilterError::new(o, extra, "unexpected argument after the chain"));
            }
            FilterCommand::Flush(chain)
        }
        "-P" | "--policy" | "-N" | "-X" | "-Z" | "-L" | "-S" | "-R" | "-E" => {
            return Err(FilterError::new(off, cmd, "unsupported command (use -A, -I, -D or -F)"));
        }
        _ => return Err(FilterError::new(off, cmd, "unknown command: expected -A, -I, -D or -F")),
    };
    Ok(command)
}

/// The INPUT rules a partition installs: on every host of a group, one `-s <the hosts of another
/// group> -j DROP` per other group; with `oneway`, only against the first group's traffic.
/// (host, sources) pairs, in the order they are installed.
pub fn partition_rules(groups: &[Vec<HostId>], oneway: bool) -> Vec<(HostId, Vec<HostId>)> {
    let mut rules = Vec::new();
    for (i, from) in groups.iter().enumerate().take(if oneway { 1 } else { groups.len() }) {
        for (j, to) in groups.iter().enumerate() {
            if i != j && !from.is_empty() {
                rules.extend(to.iter().map(|&h| (h, from.clone())));
            }
        }
    }
    rules
}

impl fmt::Display for FilterCommand {
    /// The command in iptables syntax, rule specification as it was written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterCommand::Append(c, r) => write!(f, "-A {c} {}", r.spec),
            FilterCommand::Insert(c, n, r) => write!(f, "-I {c} {n} {}", r.spec),
            FilterCommand::DeleteSpec(c, r) => write!(f, "-D {c} {}", r.spec),
            FilterCommand::DeleteNum(c, n) => write!(f, "-D {c} {n}"),
            FilterCommand::Flush(Some(c)) => write!(f, "-F {c}"),
            FilterCommand::Flush(None) => write!(f, "-F"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(name: &str) -> Option<HostId> {
        ["10.162.29.33", "10.162.29.36", "10.162.29.37"]
            .iter()
            .position(|h| *h == name)
            .map(|i| HostId(i as u32))
    }

    fn parse(line: &str) -> Result<FilterCommand, FilterError> {
        parse_command(line, &hosts)
    }

    fn packet(src: u32, dst: u32, sport: u16, dport: u16) -> Packet {
        Packet { src: HostId(src), dst: HostId(dst), sport, dport }
    }

    #[test]
    fn the_field_reports_rules_mean_what_iptables_means() {
        let mut t = FilterTable::default();
        t.apply(&parse("-A INPUT -s 10.162.29.33 -j DROP").unwrap()).unwrap();
        t.apply(&parse("iptables -A INPUT -p tcp --sport 27001 -j DROP").unwrap()).unwrap();
        assert_eq!(t.evaluate(Chain::Input, &packet(0, 2, 40000, 6371)), Some(Target::Drop));
        assert_eq!(t.evaluate(Chain::Input, &packet(1, 2, 40000, 6371)), None);
        // A sentinel's reply on 27001 from .36 (source port = the server's port).
        assert_eq!(t.evaluate(Chain::Input, &packet(1, 2, 27001, 51000)), Some(Target::Drop));
        // A connection *to* 27001 has 27001 as destination port: not matched by --sport.
        assert_eq!(t.evaluate(Chain::Input, &packet(1, 2, 51000, 27001)), None);
        assert_eq!(t.evaluate(Chain::Output, &packet(2, 0, 1, 1)), None);
    }

    #[test]
    fn first_match_wins_and_insert_goes_first() {
        let mut t = FilterTable::default();
        t.apply(&parse("-A INPUT -s 10.162.29.33 -j DROP").unwrap()).unwrap();
        t.apply(&parse("-I INPUT -s 10.162.29.33 -p tcp --dport 6371 -j ACCEPT").unwrap()).unwrap();
        assert_eq!(t.evaluate(Chain::Input, &packet(0, 2, 1, 6371)), Some(Target::Accept));
        assert_eq!(t.evaluate(Chain::Input, &packet(0, 2, 1, 6372)), Some(Target::Drop));
    }

    #[test]
    fn delete_and_flush() {
        let mut t = FilterTable::default();
        t.apply(&parse("-A OUTPUT -d 10.162.29.36,10.162.29.37 -j REJECT").unwrap()).unwrap();
        t.apply(&parse("-A INPUT -s 10.162.29.33 -j DROP").unwrap()).unwrap();
        assert_eq!(t.len(), 2);
        t.apply(&parse("-D INPUT -s 10.162.29.33 -j DROP").unwrap()).unwrap();
        assert_eq!(t.len(), 1);
        assert!(t.apply(&parse("-D INPUT -s 10.162.29.33 -j DROP").unwrap()).is_err());
        t.apply(&parse("-D OUTPUT 1").unwrap()).unwrap();
        assert!(t.is_empty());
        t.apply(&parse("-A INPUT -j DROP").unwrap()).unwrap();
        t.apply(&parse("-F").unwrap()).unwrap();
        assert!(t.is_empty());
    }

    #[test]
    fn ports_and_ranges() {
        let c =
            parse("-A INPUT -p tcp -m tcp --dport 27001:27003 -j REJECT --reject-with tcp-reset")
                .unwrap();
        let FilterCommand::Append(Chain::Input, r) = c else { panic!() };
        assert_eq!(r.rule.dport, Some(PortRange { lo: 27001, hi: 27003 }));
        assert_eq!(r.rule.target, Target::Reject(RejectWith::TcpReset));
        assert_eq!(r.spec, "-p tcp -m tcp --dport 27001:27003 -j REJECT --reject-with tcp-reset");
    }

    #[test]
    fn errors_name_the_token_and_its_offset() {
        let e = parse("-A INPUT -s 10.0.0.9 -j DROP").unwrap_err();
        assert_eq!((e.offset, e.token.as_str()), (12, "10.0.0.9"));
        let e = parse("-A INPUT -i lo -j DROP").unwrap_err();
        assert_eq!((e.offset, e.token.as_str()), (9, "-i"));
        let e = parse("-A INPUT --sport 27001 -j DROP").unwrap_err();
        assert_eq!(e.token, "--sport");
        let e = parse("-A INPUT -s 10.162.29.33 -j LOG").unwrap_err();
        assert_eq!(e.token, "LOG");
        let e = parse("-A INPUT -s 10.162.29.33,nowhere -j DROP").unwrap_err();
        assert_eq!((e.offset, e.token.as_str()), (25, "nowhere"));
        assert!(parse("-A INPUT -s 10.162.29.33").is_err());
        assert!(parse("-A FORWARD -j DROP").is_err());
        assert!(parse("").is_err());
        assert!(parse("-A").is_err());
        assert!(parse("-A INPUT ! -s 10.162.29.33 -j DROP").is_err());
        assert!(parse("-t nat -A INPUT -j DROP").is_err());
    }

    #[test]
    fn display_round_trips() {
        for line in [
            "-A INPUT -s 10.162.29.33 -j DROP",
            "-F",
            "-F OUTPUT",
            "-D INPUT 2",
            "-I OUTPUT 1 -j DROP",
        ] {
            assert_eq!(parse(line).unwrap().to_string(), line);
        }
    }
}
