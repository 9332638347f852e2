//! sentinel.conf directives by their real names, with Redis 7.0 defaults, and the internal periods
//! `SENTINEL DEBUG` can change. A per-master directive may be written in full
//! (`"sentinel down-after-milliseconds" = "mymaster 5000"`) or without the `sentinel` prefix and
//! the master name (`down-after-milliseconds = 5000`), which sets it for every master monitored.

use crate::server::config::DirectiveError;

/// One `sentinel monitor` entry with its per-master settings (the fields `sentinel.c` keeps on
/// the master's `sentinelRedisInstance`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterConfig {
    /// `sentinel monitor <name> <ip> <port> <quorum>`: the name.
    pub name: String,
    /// The master's host.
    pub host: String,
    /// The master's port.
    pub port: u16,
    /// The quorum.
    pub quorum: u32,
    /// `down-after-milliseconds` (default 30000).
    pub down_after_ms: u64,
    /// `failover-timeout` (default 180000).
    pub failover_timeout_ms: u64,
    /// `parallel-syncs` (default 1).
    pub parallel_syncs: u32,
    /// `master-reboot-down-after-period` (default 0 = off).
    pub master_reboot_down_after_ms: u64,
}

impl MasterConfig {
    /// A master as `sentinel monitor` adds it, with Redis 7.0's defaults for the rest.
    pub fn new(name: &str, host: &str, port: u16, quorum: u32) -> Self {
        MasterConfig {
            name: name.to_string(),
            host: host.to_string(),
            port,
            quorum,
            down_after_ms: 30_000,
            failover_timeout_ms: 180_000,
            parallel_syncs: 1,
            master_reboot_down_after_ms: 0,
        }
    }

    /// `SENTINEL SET` / a per-master directive: sets `option` (its real name) to `value`.
    pub fn set_option(&mut self, option: &str, value: &str) -> Result<(), String> {
        let ms = |v: &str| -> Result<u64, String> {
            v.trim()
                .parse()
                .map_err(|_| format!("argument must be a non-negative integer, not `{v}`"))
        };
        match option {
            "down-after-milliseconds" => {
                let v = ms(value)?;
                if v == 0 {
                    return Err("argument must be greater than 0".into());
                }
                self.down_after_ms = v;
            }
            "failover-timeout" => {
                let v = ms(value)?;
                if v == 0 {
                    return Err("negative or zero time parameter.".into());
                }
                self.failover_timeout_ms = v;
            }
            "parallel-syncs" => {
                let n = ms(value)?;
                self.parallel_syncs =
                    u32::try_from(n).map_err(|_| format!("argument `{n}` is out of range"))?;
            }
            "master-reboot-down-after-period" => self.master_reboot_down_after_ms = ms(value)?,
            "quorum" => {
                let n = ms(value)?;
                self.quorum = u32::try_from(n)
                    .ok()
                    .filter(|&q| q > 0)
                    .ok_or_else(|| "Quorum must be 1 or greater.".to_string())?;
            }
            _ => {
                return Err(format!(
                    "Unknown option or number of arguments for SENTINEL SET '{option}'"
                ));
            }
        }
        Ok(())
    }
}

/// Timers and thresholds of one sentinel, in milliseconds (`sentinel.c`'s statics), and the
/// masters it monitors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelConfig {
    /// The `sentinel monitor` entries, in the order the file gives them.
    pub masters: Vec<MasterConfig>,
    /// `info-period` (10000).
    pub info_period_ms: u64,
    /// `ping-period` (1000).
    pub ping_period_ms: u64,
    /// `ask-period` (1000).
    pub ask_period_ms: u64,
    /// `publish-period` (2000).
    pub publish_period_ms: u64,
    /// `tilt-trigger` (2000).
    pub tilt_trigger_ms: u64,
    /// `tilt-period` (30000).
    pub tilt_period_ms: u64,
    /// `slave-reconf-timeout` (10000).
    pub slave_reconf_timeout_ms: u64,
    /// `min-link-reconnect-period` (15000).
    pub min_link_reconnect_period_ms: u64,
    /// `election-timeout` (10000).
    pub election_timeout_ms: u64,
    /// `announce-ip`: the address put in hellos (default: the host's name).
    pub announce_ip: Option<String>,
}

/// The per-master directives, by their real names.
const PER_MASTER: &[&str] = &[
    "down-after-milliseconds",
    "failover-timeout",
    "parallel-syncs",
    "master-reboot-down-after-period",
];

impl SentinelConfig {
    /// Defaults with no master yet (`sentinel monitor` is required).
    pub fn empty() -> Self {
        SentinelConfig {
            masters: Vec::new(),
            info_period_ms: 10_000,
            ping_period_ms: 1_000,
            ask_period_ms: 1_000,
            publish_period_ms: 2_000,
            tilt_trigger_ms: 2_000,
            tilt_period_ms: 30_000,
            slave_reconf_timeout_ms: 10_000,
            min_link_reconnect_period_ms: 15_000,
            election_timeout_ms: 10_000,
            announce_ip: None,
        }
    }

    /// True once `sentinel monitor` was given.
    pub fn has_master(&self) -> bool {
        !self.masters.is_empty()
    }

    /// The first monitored master (the only one in most deployments).
    ///
    /// # Panics
    /// Never on a validated configuration (one with `has_master`).
    pub fn master(&self) -> &MasterConfig {
        &self.masters[0]
    }

    /// The master named `name`.
    pub fn master_named(&self, name: &str) -> Option<&MasterConfig> {
        self.masters.iter().find(|m| m.name == name)
    }

    /// The largest value of a per-master setting over the monitored masters (0 with none).
    pub fn max_over_masters(&self, f: impl Fn(&MasterConfig) -> u64) -> u64 {
        self.masters.iter().map(f).max().unwrap_or(0)
    }

    /// Applies one directive. A value of several lines applies each line in turn, as several
    /// lines of sentinel.conf would (several `sentinel monitor` lines: several masters).
    pub fn set(&mut self, directive: &str, value: &str) -> Result<(), DirectiveError> {
        if value.contains('\n') {
            return value.lines().try_for_each(|line| self.set(directive, line));
        }
        let d = directive;
        let key = directive.trim().to_ascii_lowercase();
        let prefixed = key.starts_with("sentinel ");
        let name = key.strip_prefix("sentinel ").unwrap_or(&key).trim().to_string();
        let ms = |v: &str| -> Result<u64, DirectiveError> {
            v.trim().parse().map_err(|_| {
                DirectiveError::new(
                    d,
                    format!("argument must be a non-negative integer, not `{v}`"),
                )
            })
        };
        if PER_MASTER.contains(&name.as_str()) {
            // Written in full, the value names the master first; without the prefix it applies
            // to every master monitored so far.
            let (targets, v): (Vec<usize>, String) = if prefixed {
                let mut it = value.split_whitespace();
                let master = it.next().unwrap_or("");
                let Some(i) = self.masters.iter().position(|m| m.name == master) else {
                    return Err(DirectiveError::new(
                        d,
                        format!("No such master with specified name `{master}`"),
                    ));
                };
                (vec![i], it.collect::<Vec<_>>().join(" "))
            } else {
                ((0..self.masters.len()).collect(), value.to_string())
            };
            for i in targets {
                self.masters[i].set_option(&name, &v).map_err(|e| DirectiveError::new(d, e))?;
            }
            return Ok(());
        }
        match name.as_str() {
            "monitor" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                let [master, ip, port, quorum] = parts.as_slice() else {
                    return Err(DirectiveError::new(d, "expected `<name> <ip> <port> <quorum>`"));
                };
                let port = port
                    .parse()
                    .map_err(|_| DirectiveError::new(d, format!("Invalid port `{port}`")))?;
                let quorum: u32 = quorum
                    .parse()
                    .map_err(|_| DirectiveError::new(d, format!("Invalid quorum `{quorum}`")))?;
                if quorum == 0 {
                    return Err(DirectiveError::new(d, "Quorum must be 1 or greater."));
                }
                if self.master_named(master).is_some() {
                    return Err(DirectiveError::new(d, "Duplicated master name."));
                }
                self.masters.push(MasterConfig::new(master, ip, port, quorum));
            }
            "info-period" => self.info_period_ms = ms(value)?,
            "ping-period" => self.ping_period_ms = ms(value)?,
            "ask-period" => self.ask_period_ms = ms(value)?,
            "publish-period" => self.publish_period_ms = ms(value)?,
            "tilt-trigger" => self.tilt_trigger_ms = ms(value)?,
            "tilt-period" => self.tilt_period_ms = ms(value)?,
            "slave-reconf-timeout" => self.slave_reconf_timeout_ms = ms(value)?,
            "min-link-reconnect-period" => self.min_link_reconnect_period_ms = ms(value)?,
            "election-timeout" => self.election_timeout_ms = ms(value)?,
            "default-down-after" | "default-failover-timeout" => {
                return Err(DirectiveError::new(
                    d,
                    format!(
                        "`{d}` only sets the default for masters added later; set `down-after-milliseconds` or `failover-timeout` instead"
                    ),
                ));
            }
            "announce-ip" => self.announce_ip = Some(value.trim().to_string()),
            _ => {
                return Err(DirectiveError::new(
                    d,
                    "not implemented by the model (it knows: sentinel monitor, down-after-milliseconds, failover-timeout, parallel-syncs, master-reboot-down-after-period, announce-ip, and the SENTINEL DEBUG periods info-period, ping-period, ask-period, publish-period, tilt-trigger, tilt-period, slave-reconf-timeout, min-link-reconnect-period, election-timeout)".to_string(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_and_per_master_directives() {
        let mut c = SentinelConfig::empty();
        c.set("sentinel monitor", "mymaster 10.162.29.33 6371 2").unwrap();
        c.set("down-after-milliseconds", "5000").unwrap();
        c.set("sentinel failover-timeout", "mymaster 20000").unwrap();
        let m = c.master();
        assert_eq!((m.name.as_str(), m.port, m.quorum), ("mymaster", 6371, 2));
        assert_eq!((m.down_after_ms, m.failover_timeout_ms), (5000, 20000));
        assert!(c.set("parallel-syncs", "4294967296").is_err(), "no silent truncation");
        assert!(c.set("sentinel parallel-syncs", "other 2").is_err());
        assert!(c.set("sentinel monitor", "m h 1 0").is_err());
        assert_eq!(c.set("notification-script", "x").unwrap_err().directive, "notification-script");
    }

    #[test]
    fn several_monitor_lines_make_several_masters() {
        let mut c = SentinelConfig::empty();
        c.set("sentinel monitor", "cache 10.0.0.1 6379 2\nsessions 10.0.0.2 6380 3").unwrap();
        c.set("down-after-milliseconds", "5000").unwrap();
        c.set("sentinel failover-timeout", "sessions 20000\ncache 30000").unwrap();
        let names: Vec<_> = c.masters.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["cache", "sessions"]);
        let s = c.master_named("sessions").unwrap();
        assert_eq!(
            (s.port, s.quorum, s.down_after_ms, s.failover_timeout_ms),
            (6380, 3, 5000, 20000)
        );
        assert_eq!(c.master_named("cache").unwrap().failover_timeout_ms, 30000);
        assert_eq!(c.max_over_masters(|m| m.failover_timeout_ms), 30000);
        assert!(c.set("sentinel monitor", "cache 10.0.0.3 6379 2").is_err(), "duplicated name");
        assert!(c.set("sentinel parallel-syncs", "other 2").is_err());
    }
}
