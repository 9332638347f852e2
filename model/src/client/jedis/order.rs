//! The order `initSentinels` walks the sentinels in: the iteration order of the
//! `Set<HostAndPort>` the application hands `JedisSentineled` — a `java.util.HashSet` (what
//! `Collectors.toSet()`, `JedisSentinelPool`'s `parseHostAndPorts`, and `new HashSet<>(list)`
//! build). A `HashSet` iterates its table bucket by bucket, and a bucket in insertion order:
//! the bucket of `HostAndPort.hashCode()` (`31 * host.hashCode() + port`) spread by
//! `HashMap.hash` (`h ^ (h >>> 16)`), in a table of 16 buckets doubled while more than three
//! quarters full.

/// `String.hashCode()` of `s` (UTF-16 code units, wrapping `i32` arithmetic).
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `HashMap.hash(new HostAndPort(host, port))`.
fn spread(host: &str, port: u16) -> u32 {
    let h = java_string_hash(host).wrapping_mul(31).wrapping_add(i32::from(port)) as u32;
    h ^ (h >> 16)
}

/// The iteration order of a `HashSet` that `sentinels` (`(host, port)`, in the application's
/// order) were added to: indices into `sentinels`.
pub fn hash_set_order(sentinels: &[(&str, u16)]) -> Vec<usize> {
    let mut buckets = 16usize;
    while sentinels.len() * 4 > buckets * 3 {
        buckets *= 2;
    }
    let mask = (buckets - 1) as u32;
    let mut order: Vec<usize> = (0..sentinels.len()).collect();
    // Stable: a bucket keeps insertion order (a resize splits a bucket preserving it).
    order.sort_by_key(|&i| spread(sentinels[i].0, sentinels[i].1) & mask);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hashes_are_javas() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        // "hello".hashCode() in Java.
        assert_eq!(java_string_hash("hello"), 99_162_322);
        // A hash that overflows: "10.162.29.33".hashCode().
        let h = "10.162.29.33".bytes().fold(0i64, |h, b| (h * 31 + i64::from(b)) as i32 as i64);
        assert_eq!(i64::from(java_string_hash("10.162.29.33")), h);
    }

    #[test]
    fn the_order_is_the_buckets_then_insertion() {
        let s = [("10.162.29.33", 27001), ("10.162.29.36", 27002), ("10.162.29.37", 27003)];
        let order = hash_set_order(&s);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2], "a permutation");
        let bucket = |i: usize| spread(s[i].0, s[i].1) & 15;
        assert!(order.windows(2).all(|w| bucket(w[0]) <= bucket(w[1])));
        // One bucket keeps insertion order: ports 16 apart on one short host share a bucket.
        assert_eq!(hash_set_order(&[("a", 17), ("a", 1)]), [0, 1]);
        assert_eq!(hash_set_order(&[("a", 2), ("a", 1)]), [1, 0], "else bucket order");
    }
}
