//! A server's keyspace (database 0) and its point-in-time copies: what servers store, what a
//! full resynchronisation ships and what `dump.rdb` holds. Only strings: the model's commands
//! (`SET`, `GET`, `DEL`, `INCR`, `FLUSHALL`) need nothing else.

use crate::resp::{Command, Text};
use imbl::shared_ptr::RcK;

/// A server's keys and values (database 0): an ordered map that shares its nodes with its copies,
/// so a copy (an RDB save point, a full sync's payload) is O(1) and each later write copies only
/// the nodes on its path. Real Redis gets the same from `fork()`'s copy-on-write pages.
pub type Dataset = imbl::GenericOrdMap<Text, Text, RcK>;

/// A point-in-time copy of a dataset with the replication history it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The keys and values.
    pub data: Dataset,
    /// The replication id the data belongs to.
    pub replid: String,
    /// The offset in that history.
    pub offset: i64,
}

/// Applies a write that is known to succeed (from the replication stream or the append-only
/// file) to `data`; other commands change nothing.
pub(crate) fn apply(data: &mut Dataset, cmd: &Command) {
    match cmd {
        Command::Set { key, value, .. } => {
            data.insert(key.clone(), value.clone());
        }
        Command::Del(keys) => {
            for k in keys {
                data.remove(k.as_str());
            }
        }
        Command::Incr(k) => {
            let v = data.get(k.as_str()).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0) + 1;
            data.insert(Text::from(k.as_str()), Text::from(v.to_string()));
        }
        Command::FlushAll => data.clear(),
        _ => {}
    }
}
