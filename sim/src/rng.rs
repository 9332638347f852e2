//! Randomness: one `u64` seed for a whole simulation, and a named ChaCha stream per consumer.
//!
//! Every consumer (a process, a link, a fault schedule) draws only from its own stream, derived from
//! `(seed, name)`. Adding a client therefore never changes the latencies another link draws, and a
//! trace stays comparable when a scenario grows. ChaCha8 is pinned to an exact crate version because
//! its output is part of the trace format.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng};

/// A deterministic random stream owned by one consumer.
#[derive(Clone, Debug)]
pub struct Rng(ChaCha8Rng);

/// 64-bit FNV-1a: a stable, dependency-free hash for stream names and digests.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_update(FNV1A64_START, bytes)
}

/// The state FNV-1a starts from (its offset basis).
pub const FNV1A64_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Continues the FNV-1a hash `h` over `bytes`, for digests of data that arrives in pieces:
/// `fnv1a64_update(fnv1a64(a), b) == fnv1a64(a ++ b)`.
pub fn fnv1a64_update(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Rng {
    /// The stream called `name` of the simulation seeded with `seed`.
    pub fn stream(seed: u64, name: &str) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(fnv1a64(name.as_bytes()));
        Rng(rng)
    }

    /// A uniformly distributed `u64`.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniformly distributed `u32`.
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// A value in `lo..=hi` (`hi >= lo`). Uses the 128-bit multiply-shift, whose bias is below
    /// 2^-64 for any span, so no rejection loop and a fixed number of draws per call.
    #[inline]
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        debug_assert!(hi >= lo, "empty range {lo}..={hi}");
        let span = hi - lo;
        if span == 0 {
            return lo;
        }
        let x = self.0.next_u64();
        if span == u64::MAX {
            return x;
        }
        lo + ((u128::from(x) * u128::from(span + 1)) >> 64) as u64
    }

    /// An index in `0..n` (`n > 0`).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        self.between(0, n as u64 - 1) as usize
    }

    /// True with probability `p`, an exact integer fraction of 2^64.
    #[inline]
    pub fn chance(&mut self, p: Probability) -> bool {
        p.0 != 0 && self.0.next_u64() < p.0
    }

    /// 40 lowercase hexadecimal characters, like a Redis run id.
    pub fn hex40(&mut self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(40);
        for _ in 0..5 {
            let mut x = self.0.next_u64();
            for _ in 0..8 {
                s.push(HEX[(x & 0xf) as usize] as char);
                x >>= 4;
            }
        }
        s
    }
}

/// A probability as a fraction of 2^64, so drawing against it is exact integer arithmetic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Probability(u64);

impl Probability {
    /// Never.
    pub const NEVER: Probability = Probability(0);

    /// `p` clamped to `[0, 1]`; `1.0` becomes the largest representable value below certainty.
    pub fn from_f64(p: f64) -> Self {
        if p.is_nan() || p <= 0.0 {
            Probability(0)
        } else if p >= 1.0 {
            Probability(u64::MAX)
        } else {
            Probability((p * 18_446_744_073_709_551_616.0) as u64)
        }
    }

    /// True for [`Probability::NEVER`].
    pub fn is_never(self) -> bool {
        self.0 == 0
    }

    /// The probability as a float, for display only.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 18_446_744_073_709_551_616.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a1: Vec<u64> =
            (0..4).map(|_| 0).scan(Rng::stream(7, "a"), |r, _| Some(r.next_u64())).collect();
        let a2: Vec<u64> =
            (0..4).map(|_| 0).scan(Rng::stream(7, "a"), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> =
            (0..4).map(|_| 0).scan(Rng::stream(7, "b"), |r, _| Some(r.next_u64())).collect();
        let a8: Vec<u64> =
            (0..4).map(|_| 0).scan(Rng::stream(8, "a"), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, a8);
    }

    #[test]
    fn between_stays_in_range() {
        let mut r = Rng::stream(1, "t");
        for _ in 0..10_000 {
            let x = r.between(1000, 5000);
            assert!((1000..=5000).contains(&x));
        }
        assert_eq!(r.between(3, 3), 3);
        let _ = r.between(0, u64::MAX);
    }

    #[test]
    fn probabilities_are_exact_at_the_ends() {
        let mut r = Rng::stream(1, "p");
        assert!((0..1000).all(|_| !r.chance(Probability::NEVER)));
        assert!((0..1000).all(|_| r.chance(Probability::from_f64(1.0))));
        let hits = (0..100_000).filter(|_| r.chance(Probability::from_f64(0.25))).count();
        assert!((23_000..27_000).contains(&hits), "{hits}");
    }

    #[test]
    fn run_ids_look_like_redis() {
        let id = Rng::stream(3, "redis").hex40();
        assert_eq!(id.len(), 40);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }
}
