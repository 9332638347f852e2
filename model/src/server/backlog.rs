//! The replication backlog (`repl-backlog-size`): the tail of the stream a master keeps, so a
//! replica that reconnects can continue with `+CONTINUE` instead of a full resync.

use crate::resp::Command;
use std::collections::VecDeque;

/// The replication backlog: the tail of the stream, for partial resynchronisations.
#[derive(Clone, Debug)]
pub(crate) struct Backlog {
    /// Offset of the first byte held (Redis's `repl_backlog->offset`).
    start: i64,
    /// Items with the offset of their first byte and their length.
    items: VecDeque<(i64, Command)>,
    histlen: i64,
    size: i64,
}

impl Backlog {
    /// An empty backlog whose next byte is `offset + 1`.
    pub fn new(offset: i64, size: u64) -> Self {
        Backlog { start: offset + 1, items: VecDeque::new(), histlen: 0, size: size as i64 }
    }

    pub fn first_byte(&self) -> i64 {
        self.start
    }

    pub fn histlen(&self) -> i64 {
        self.histlen
    }

    pub fn push(&mut self, first_byte: i64, len: i64, cmd: Command) {
        if self.items.is_empty() && self.histlen == 0 {
            self.start = first_byte;
        }
        self.items.push_back((first_byte, cmd));
        self.histlen += len;
        while self.histlen > self.size {
            let Some((_, front)) = self.items.pop_front() else { break };
            let flen = front.resp_len() as i64;
            self.start += flen;
            self.histlen -= flen;
        }
    }

    /// The items from byte `from` on, if the backlog holds them from an item boundary.
    pub fn since(&self, from: i64) -> Option<Vec<Command>> {
        if from < self.start || from > self.start + self.histlen {
            return None;
        }
        if from == self.start + self.histlen {
            return Some(Vec::new());
        }
        let i = self.items.iter().position(|(s, _)| *s == from)?;
        Some(self.items.iter().skip(i).map(|(_, c)| c.clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(k: &str) -> Command {
        Command::from_strs(&["SET", k, "v"])
    }

    #[test]
    fn backlog_serves_from_item_boundaries_and_trims() {
        let len = set("a").resp_len() as i64;
        let mut b = Backlog::new(0, 1_000_000);
        let mut off = 0;
        for k in ["a", "b", "c"] {
            b.push(off + 1, len, set(k));
            off += len;
        }
        assert_eq!(b.first_byte(), 1);
        assert_eq!(b.histlen(), 3 * len);
        assert_eq!(b.since(1).unwrap().len(), 3);
        assert_eq!(b.since(len + 1).unwrap(), vec![set("b"), set("c")]);
        assert_eq!(b.since(3 * len + 1).unwrap(), vec![]);
        assert!(b.since(3 * len + 2).is_none(), "beyond what was produced");
        assert!(b.since(2).is_none(), "not an item boundary");
        let mut small = Backlog::new(0, (2 * len) as u64);
        off = 0;
        for k in ["a", "b", "c"] {
            small.push(off + 1, len, set(k));
            off += len;
        }
        assert_eq!(small.first_byte(), len + 1);
        assert!(small.since(1).is_none(), "trimmed away");
    }
}
