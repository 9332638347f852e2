//! A server's keyspace (database 0) and its point-in-time copies: what servers store, what a
//! full resynchronisation ships and what `dump.rdb` holds. Only strings: the model's commands
//! (`SET`, `GET`, `DEL`, `INCR`, `FLUSHALL`) need nothing else.

use crate::resp::{Command, Text};
use imbl::shared_ptr::RcK;

/// A server's keys and values (database 0): an ordered map that shares its nodes with its copies,
/// so a copy (an RDB save point, a full sync's payload) is O(1) and each later write copies only
/// the nodes on its path. Real Redis gets the same from `fork()`'s copy-on-write pages.
pub type Dataset = imbl::GenericOrdMap<Text, Text, RcK>;

/// A preloaded mass of keys counted, never stored: a production-sized dataset (`[[redis]]
/// dataset = { keys = 2_000_000, value-size = "1KB" }`) next to the exactly tracked keys of clients.
/// It costs what its bytes cost (memory, RDB size, transfer and load times) and nothing else.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Mass {
    /// Keys.
    pub keys: u64,
    /// Bytes of values (keys × value size).
    pub bytes: u64,
}

/// Memory Redis spends per key beyond its value (dict entry, key and value objects and their
/// allocator rounding): a model constant of about what `INFO memory` shows for small strings.
pub const KEY_OVERHEAD_BYTES: u64 = 64;

/// The bytes one exact key and its value take in an RDB payload (its lengths and type byte).
fn rdb_entry_bytes(key: &str, value: &str) -> u64 {
    (key.len() + value.len()) as u64 + 3
}

/// A point-in-time copy of a dataset with the replication history it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The keys and values.
    pub data: Dataset,
    /// The preloaded mass it also holds.
    pub mass: Mass,
    /// The replication id the data belongs to.
    pub replid: String,
    /// The offset in that history.
    pub offset: i64,
}

impl Snapshot {
    /// Keys in all: the exact ones and the mass.
    pub fn keys(&self) -> u64 {
        self.data.len() as u64 + self.mass.keys
    }

    /// The part of the RDB payload that is the mass.
    pub fn mass_rdb_bytes(&self) -> u64 {
        self.mass.bytes + self.mass.keys * 3
    }

    /// The size of its RDB payload: the mass's bytes and every exact key (a fixed header and EOF
    /// of 64 bytes, Redis's `REDIS0010` and aux fields, approximately).
    pub fn rdb_bytes(&self) -> u64 {
        let exact: u64 = self.data.iter().map(|(k, v)| rdb_entry_bytes(k, v)).sum();
        64 + self.mass_rdb_bytes() + exact
    }
}

/// Memory the data of a server takes (`used_memory` less the server's own baseline).
pub fn data_memory(data: &Dataset, mass: Mass) -> u64 {
    let exact: u64 =
        data.iter().map(|(k, v)| (k.len() + v.len()) as u64 + KEY_OVERHEAD_BYTES).sum();
    exact + mass.bytes + mass.keys * KEY_OVERHEAD_BYTES
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
