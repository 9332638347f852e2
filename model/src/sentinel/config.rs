//! sentinel.conf directives by their real names, with Redis 7.0 defaults, and the internal periods
//! `SENTINEL DEBUG` can change. With one monitored master, a per-master directive may be written
//! without the `sentinel` prefix and the master name (`down-after-milliseconds = 5000`) or in full
//! (`"sentinel down-after-milliseconds" = "mymaster 5000"`).

use crate::server::config::DirectiveError;

/// Timers and thresholds of one sentinel, in milliseconds (`sentinel.c`'s statics and per-master
/// settings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelConfig {
    /// `sentinel monitor <name> <ip> <port> <quorum>`: the name.
    pub master_name: String,
    /// The master's host.
    pub master_host: String,
    /// The master's port.
    pub master_port: u16,
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

impl SentinelConfig {
    /// Defaults with no master yet (`sentinel monitor` is required).
    pub fn empty() -> Self {
        SentinelConfig {
            master_name: String::new(),
            master_host: String::new(),
            master_port: 0,
            quorum: 0,
            down_after_ms: 30_000,
            failover_timeout_ms: 180_000,
            parallel_syncs: 1,
            master_reboot_down_after_ms: 0,
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
        !self.master_name.is_empty()
    }

    /// Applies one directive.
    pub fn set(&mut self, directive: &str, value: &str) -> Result<(), DirectiveError> {
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
        // A per-master directive written in full carries the master name first.
        let per_master = |v: &str| -> Result<String, DirectiveError> {
            if !prefixed {
                return Ok(v.to_string());
            }
            let mut it = v.split_whitespace();
            let master = it.next().unwrap_or("");
            if self.has_master() && master != self.master_name {
                return Err(DirectiveError::new(
                    d,
                    format!("No such master with specified name `{master}`"),
                ));
            }
            Ok(it.collect::<Vec<_>>().join(" "))
        };
        match name.as_str() {
            "monitor" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                let [master, ip, port, quorum] = parts.as_slice() else {
                    return Err(DirectiveError::new(d, "expected `<name> <ip> <port> <quorum>`"));
                };
                self.master_name = master.to_string();
                self.master_host = ip.to_string();
                self.master_port = port
                    .parse()
                    .map_err(|_| DirectiveError::new(d, format!("Invalid port `{port}`")))?;
                self.quorum = quorum
                    .parse()
                    .map_err(|_| DirectiveError::new(d, format!("Invalid quorum `{quorum}`")))?;
                if self.quorum == 0 {
                    return Err(DirectiveError::new(d, "Quorum must be 1 or greater."));
                }
            }
            "down-after-milliseconds" => {
                self.down_after_ms = ms(&per_master(value)?)?;
                if self.down_after_ms == 0 {
                    return Err(DirectiveError::new(d, "argument must be greater than 0"));
                }
            }
            "failover-timeout" => {
                self.failover_timeout_ms = ms(&per_master(value)?)?;
                if self.failover_timeout_ms == 0 {
                    return Err(DirectiveError::new(d, "negative or zero time parameter."));
                }
            }
            "parallel-syncs" => {
                let n = ms(&per_master(value)?)?;
                self.parallel_syncs = u32::try_from(n).map_err(|_| {
                    DirectiveError::new(d, format!("argument `{n}` is out of range"))
                })?;
            }
            "master-reboot-down-after-period" => {
                self.master_reboot_down_after_ms = ms(&per_master(value)?)?
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
        assert_eq!((c.master_name.as_str(), c.master_port, c.quorum), ("mymaster", 6371, 2));
        assert_eq!((c.down_after_ms, c.failover_timeout_ms), (5000, 20000));
        assert!(c.set("parallel-syncs", "4294967296").is_err(), "no silent truncation");
        assert!(c.set("sentinel parallel-syncs", "other 2").is_err());
        assert!(c.set("sentinel monitor", "m h 1 0").is_err());
        assert_eq!(c.set("notification-script", "x").unwrap_err().directive, "notification-script");
    }
}
