//! Reading a hello (`sentinelProcessHelloMessage`'s `sdssplitlen(hello, ",")` and its caller's
//! own-id check): the eight fields, their numbers, and whether this sentinel sent it. One text
//! reaches a sentinel through every server it was published on, and all its copies share one
//! allocation, so each text is read once and its reading kept for the next copies.

use crate::resp::Text;
use std::rc::Rc;

/// A hello's fields, as `sentinelProcessHelloMessage` uses them (`atoi` of the numbers: a
/// number that does not parse counts as 0).
pub(crate) struct Fields<'a> {
    pub ip: &'a str,
    pub port: u16,
    pub runid: &'a str,
    pub current_epoch: u64,
    pub master: &'a str,
    pub master_ip: &'a str,
    pub master_port: u16,
    pub config_epoch: u64,
}

/// A hello's fields as positions in its text, with the numbers parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Read {
    /// (start, end) of the ip, run id, master name and master ip.
    spans: [(usize, usize); 4],
    port: u16,
    current_epoch: u64,
    master_port: u16,
    config_epoch: u64,
}

impl Read {
    /// The fields of `hello` (the text this was read from).
    pub fn fields<'a>(&self, hello: &'a str) -> Fields<'a> {
        let at = |i: usize| hello.get(self.spans[i].0..self.spans[i].1).unwrap_or("");
        Fields {
            ip: at(0),
            port: self.port,
            runid: at(1),
            current_epoch: self.current_epoch,
            master: at(2),
            master_ip: at(3),
            master_port: self.master_port,
            config_epoch: self.config_epoch,
        }
    }
}

/// `hello` read: `None` when it is not eight fields long, or when it contains `own_id`, if
/// given (`strstr(hello, sentinel.myid)`: a sentinel ignores its own hellos on its links).
pub(crate) fn read(hello: &str, own_id: Option<&str>) -> Option<Read> {
    // `strstr` finds an empty id in every text.
    let own = |s: &str| own_id.is_some_and(|id| s.len() >= id.len() && contains(s, id));
    if own_id.is_some_and(|id| id.as_bytes().contains(&b',')) && own(hello) {
        return None;
    }
    let t = split8(hello)?;
    // An id without a comma can only occur inside one field: look only where it can be.
    if t.iter().any(|&(s, e)| own(&hello[s..e])) {
        return None;
    }
    let text = |i: usize| &hello[t[i].0..t[i].1];
    Some(Read {
        spans: [t[0], t[2], t[4], t[5]],
        port: text(1).parse().unwrap_or(0),
        current_epoch: text(3).parse().unwrap_or(0),
        master_port: text(6).parse().unwrap_or(0),
        config_epoch: text(7).parse().unwrap_or(0),
    })
}

/// The hellos read last, with their readings, recognised by their allocation (a kept text
/// cannot be freed, so its address names it while it is here).
#[derive(Default)]
pub(crate) struct Seen {
    entries: [Option<(Text, Option<Read>)>; 8],
    next: usize,
}

impl Seen {
    /// The reading of `hello`, from the last ones when it is one of them.
    pub fn read(&mut self, hello: &Text, own_id: &str) -> Option<Read> {
        let hit = self.entries.iter().flatten().find(|(t, _)| Rc::ptr_eq(t, hello));
        if let Some((_, r)) = hit {
            return *r;
        }
        let r = read(hello, Some(own_id));
        self.entries[self.next] = Some((hello.clone(), r));
        self.next = (self.next + 1) % self.entries.len();
        r
    }
}

/// `strstr(hay, needle) != NULL`. Hellos are short: a scan for the first byte beats building a
/// two-way searcher for each.
fn contains(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else { return true };
    if h.len() < n.len() {
        return false;
    }
    (0..=h.len() - n.len()).any(|i| h[i] == first && h[i + 1..i + n.len()] == *rest)
}

/// The (start, end) of the eight comma-separated fields of a hello, or `None` when it has
/// another number of them (one pass over the bytes).
fn split8(hello: &str) -> Option<[(usize, usize); 8]> {
    let mut t = [(0, 0); 8];
    let (mut n, mut start) = (0, 0);
    for (i, &b) in hello.as_bytes().iter().enumerate() {
        if b == b',' {
            if n == 7 {
                return None;
            }
            t[n] = (start, i);
            n += 1;
            start = i + 1;
        }
    }
    if n != 7 {
        return None;
    }
    t[7] = (start, hello.len());
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_agrees_with_str_contains() {
        let hay = "10.0.0.1,26379,abcdef,3,mymaster,10.0.0.2,6379,3";
        for needle in ["", "a", "abcdef", "abcdeg", "6379,3", "3,mymaster", "x", hay, "10.0.0.1,"] {
            assert_eq!(contains(hay, needle), hay.contains(needle), "{needle}");
        }
        assert!(!contains("ab", "abc"));
        assert!(contains("aab", "ab"));
    }

    #[test]
    fn split8_agrees_with_split() {
        for s in [
            "a,b,c,d,e,f,g,h",
            ",,,,,,,",
            "a,b,c,d,e,f,g",
            "a,b,c,d,e,f,g,h,i",
            "",
            "é,b,c,d,e,f,g,ü",
        ] {
            let v: Vec<&str> = s.split(',').collect();
            let want = (v.len() == 8).then_some(v);
            let got = split8(s).map(|t| t.iter().map(|&(a, b)| &s[a..b]).collect::<Vec<_>>());
            assert_eq!(got, want, "{s}");
        }
    }

    #[test]
    fn read_skips_own_hellos_and_parses_like_atoi_would() {
        let h = "10.0.0.1,26379,peer,3,mymaster,10.0.0.2,6379,x";
        let f = read(h, Some("me")).expect("eight fields");
        let f = f.fields(h);
        assert_eq!((f.ip, f.port, f.runid, f.current_epoch), ("10.0.0.1", 26379, "peer", 3));
        assert_eq!(
            (f.master, f.master_ip, f.master_port, f.config_epoch),
            ("mymaster", "10.0.0.2", 6379, 0)
        );
        assert_eq!(read(h, Some("peer")), None);
        assert!(read(h, None).is_some(), "no own id: nothing skipped");
        let comma = Some("3,mymaster");
        assert_eq!(read(h, comma), None, "an id with a comma is looked for everywhere");
        assert_eq!(read("a,b", Some("me")), None);
        assert_eq!(read(h, Some("")), None, "strstr finds an empty id everywhere");
    }

    #[test]
    fn seen_reads_each_text_once_and_tells_copies_apart_by_allocation() {
        let mut seen = Seen::default();
        let a: Text = "s,1,peer,1,m,h,2,3".into();
        let b: Text = "s,1,me,1,m,h,2,3".into();
        assert!(seen.read(&a, "me").is_some());
        assert!(seen.read(&a.clone(), "me").is_some());
        assert_eq!(seen.read(&b, "me"), None);
        for i in 0..20 {
            let t: Text = format!("s,1,p{i},1,m,h,2,3").into();
            assert_eq!(
                seen.read(&t, "me").map(|r| r.fields(&t).runid.len()),
                Some(2 + (i >= 10) as usize)
            );
        }
        assert!(seen.read(&a, "me").is_some(), "read again once evicted");
    }
}
