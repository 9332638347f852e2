//! What validating a scenario carries around: the file's name and text (for `file:line:col`),
//! the hosts seen so far, and the conversions of a spanned value that report errors at it.

use super::raw;
use super::{ScenarioError, ServerBuild};
use sim::{Addr, Duration, DurationRange, HostId, Instant, Probability};
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// The file being validated.
pub(super) struct Ctx<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub hosts: Vec<String>,
    /// `hosts` by name, so that looking a host up does not scan them all.
    index: BTreeMap<String, HostId>,
}

impl<'a> Ctx<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        Ctx { path, text, hosts: Vec::new(), index: BTreeMap::new() }
    }

    /// Declares a host (not declared before).
    pub fn declare_host(&mut self, name: &str) {
        self.index.insert(name.to_string(), HostId(self.hosts.len() as u32));
        self.hosts.push(name.to_string());
    }

    /// The declared host called `name`.
    pub fn host_id(&self, name: &str) -> Option<HostId> {
        self.index.get(name).copied()
    }

    /// The declared hosts, for an error message: the first few and how many more.
    pub fn declared(&self) -> String {
        const SHOWN: usize = 10;
        let mut list = self.hosts[..self.hosts.len().min(SHOWN)].join(", ");
        if self.hosts.len() > SHOWN {
            list.push_str(&format!(" and {} more", self.hosts.len() - SHOWN));
        }
        list
    }

    /// The address a `[[redis]]` or `[[sentinel]]` process listens on, refused when another
    /// process of the scenario already listens there.
    pub fn listen(
        &self,
        p: &raw::Process,
        taken: &mut BTreeSet<Addr>,
    ) -> Result<Addr, ScenarioError> {
        let addr = Addr::new(self.host(&p.host)?, *p.port.get_ref());
        if !taken.insert(addr) {
            return self.err(
                p.port.span(),
                format!("two processes listen on {}:{}", p.host.get_ref(), p.port.get_ref()),
            );
        }
        Ok(addr)
    }

    /// The build a `server` value names, `default` when absent.
    pub fn server(
        &self,
        s: Option<&Spanned<String>>,
        default: ServerBuild,
    ) -> Result<ServerBuild, ScenarioError> {
        let Some(s) = s else { return Ok(default) };
        ServerBuild::parse(s.get_ref()).or_else(|e| self.err(s.span(), e.to_string()))
    }

    /// Refuses a directive the process's build does not have, at its name.
    pub fn directive_known(
        &self,
        build: ServerBuild,
        kind: &str,
        name: &Spanned<String>,
    ) -> Result<(), ScenarioError> {
        match build.lacks(name.get_ref()) {
            Some(why) => {
                self.err(name.span(), format!("{kind} directive `{}`: {why}", name.get_ref()))
            }
            None => Ok(()),
        }
    }

    pub fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        msg: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError::span(self.path, self.text, span, msg))
    }

    pub fn duration(&self, s: &Spanned<String>) -> Result<Duration, ScenarioError> {
        s.get_ref()
            .parse()
            .or_else(|e: sim::time::TimeParseError| self.err(s.span(), e.to_string()))
    }

    pub fn range(&self, s: &Spanned<String>) -> Result<DurationRange, ScenarioError> {
        s.get_ref()
            .parse()
            .or_else(|e: sim::time::TimeParseError| self.err(s.span(), e.to_string()))
    }

    /// A link rate such as `"1Gbit"`.
    pub fn bandwidth(&self, s: &Spanned<String>) -> Result<sim::Bandwidth, ScenarioError> {
        s.get_ref()
            .parse()
            .or_else(|e: sim::pipe::BandwidthError| self.err(s.span(), e.to_string()))
    }

    /// `dataset = { keys = ..., value-size = "1KB" }`: the preloaded mass.
    pub fn dataset(
        &self,
        d: &Spanned<raw::Dataset>,
    ) -> Result<model::dataset::Mass, ScenarioError> {
        let d = d.get_ref();
        let size = model::server::config::memory("value-size", d.value_size.get_ref())
            .or_else(|e| self.err(d.value_size.span(), e.message))?;
        let keys = *d.keys.get_ref();
        // Its memory, each key's overhead included, bounds every byte count made of it.
        let per_key = size.saturating_add(model::dataset::KEY_OVERHEAD_BYTES);
        match keys.checked_mul(per_key).filter(|&b| b <= 1 << 50) {
            Some(_) => Ok(model::dataset::Mass { keys, bytes: keys * size }),
            None => self.err(
                d.keys.span(),
                format!(
                    "the dataset is larger than 1 PB ({} bytes of overhead a key included)",
                    model::dataset::KEY_OVERHEAD_BYTES
                ),
            ),
        }
    }

    pub fn probability(&self, p: &Spanned<f64>) -> Result<Probability, ScenarioError> {
        let v = *p.get_ref();
        if !(0.0..=1.0).contains(&v) {
            return self
                .err(p.span(), format!("`{v}` is not a probability: use a number from 0 to 1"));
        }
        Ok(Probability::from_f64(v))
    }

    pub fn host(&self, s: &Spanned<String>) -> Result<HostId, ScenarioError> {
        match self.host_id(s.get_ref()) {
            Some(id) => Ok(id),
            None => self.err(
                s.span(),
                format!("unknown host `{}` (declared hosts: {})", s.get_ref(), self.declared()),
            ),
        }
    }

    /// A process's `start` (a time or a range), `default` when absent; before the end of the run.
    pub fn start(
        &self,
        s: Option<&Spanned<String>>,
        default: &str,
        duration: Duration,
    ) -> Result<DurationRange, ScenarioError> {
        let Some(s) = s else { return Ok(default.parse().expect("a valid default")) };
        let r = self.range(s)?;
        if r.hi >= duration {
            return self.err(
                s.span(),
                format!("`start = \"{}\"` is not before the end of the run", s.get_ref()),
            );
        }
        Ok(r)
    }

    /// A workload's `start` (default 0s) and `stop` (default: none, it runs to the end): it starts
    /// before the end of the run and stops after it starts, at the end at the latest.
    pub fn workload_window(
        &self,
        w: &raw::Workload,
        duration: Duration,
    ) -> Result<(Instant, Option<Instant>), ScenarioError> {
        let end = Instant::ZERO + duration;
        let start = match &w.start {
            Some(t) => {
                let at = Instant::ZERO + self.duration(t)?;
                if at >= end {
                    return self.err(
                        t.span(),
                        format!(
                            "`start = \"{}\"` is not before the end of the run ({duration})",
                            t.get_ref()
                        ),
                    );
                }
                at
            }
            None => Instant::ZERO,
        };
        let stop = match &w.stop {
            Some(t) => {
                let at = Instant::ZERO + self.duration(t)?;
                if at > end {
                    return self.err(
                        t.span(),
                        format!(
                            "`stop = \"{}\"` is after the end of the run ({duration}): leave `stop` out to run to the end",
                            t.get_ref()
                        ),
                    );
                }
                if at <= start {
                    return self.err(
                        t.span(),
                        format!("`stop = \"{}\"` is not after the workload's start", t.get_ref()),
                    );
                }
                Some(at)
            }
            None => None,
        };
        Ok((start, stop))
    }

    /// `host:port` of a declared process.
    pub fn addr(&self, s: &Spanned<String>) -> Result<Addr, ScenarioError> {
        let Some((h, p)) = s.get_ref().rsplit_once(':') else {
            return self.err(s.span(), format!("`{}` is not host:port", s.get_ref()));
        };
        let host = self.host(&Spanned::new(s.span(), h.to_string()))?;
        let port = p.parse().or_else(|_| self.err(s.span(), format!("`{p}` is not a port")))?;
        Ok(Addr::new(host, port))
    }
}

/// The column of byte `offset` inside a TOML basic string whose span is `span` (quotes included).
/// The byte offset of `offset` inside the quoted string at `span`.
pub(super) fn inside_string(span: &std::ops::Range<usize>, offset: usize) -> usize {
    span.start + 1 + offset
}
