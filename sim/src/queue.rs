//! The event queue: a min-heap ordered by `(time, insertion sequence)`, so events at the same
//! instant come out in the order they were scheduled, on every run.
//!
//! The binary heap holds only 128-bit keys, `time << 64 | seq << 24 | slot`, compared as integers; the
//! events themselves sit in a slab and never move. Sifting keeps the moving key in a register
//! (the "hole" technique), so a push never reads back what it has just written.

use crate::time::Instant;

const SLOT_BITS: u32 = 24;
const SEQ_BITS: u32 = 64 - SLOT_BITS;

/// Pending events in virtual-time order; ties resolve by insertion order.
pub struct EventQueue<E> {
    heap: Vec<u128>,
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: Vec::new(), slab: Vec::new(), free: Vec::new(), next_seq: 0 }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `at`, after everything already scheduled for that instant.
    ///
    /// # Panics
    /// After 2^40 insertions, or with 2^24 events pending at once: far beyond any simulation.
    #[inline(always)]
    pub fn push(&mut self, at: Instant, event: E) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(event);
                s
            }
            None => {
                self.slab.push(Some(event));
                (self.slab.len() - 1) as u32
            }
        };
        assert!(slot < 1 << SLOT_BITS, "more than 2^24 pending events");
        assert!(self.next_seq < 1 << SEQ_BITS, "more than 2^40 events scheduled");
        let key = (u128::from(at.as_micros()) << 64)
            | u128::from(self.next_seq << SLOT_BITS)
            | u128::from(slot);
        self.next_seq += 1;
        self.heap.push(key);
        self.sift_up(self.heap.len() - 1, key);
    }

    #[inline]
    fn sift_up(&mut self, mut pos: usize, key: u128) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            let above = self.heap[parent];
            if above <= key {
                break;
            }
            self.heap[pos] = above;
            pos = parent;
        }
        self.heap[pos] = key;
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        let last = self.heap.pop()?;
        let top = if self.heap.is_empty() {
            last
        } else {
            let top = self.heap[0];
            self.sift_down_from_root(last);
            top
        };
        let slot = (top as u32) & ((1 << SLOT_BITS) - 1);
        let event = self.slab[slot as usize].take().expect("every key has an event");
        self.free.push(slot);
        Some((Instant::from_micros((top >> 64) as u64), event))
    }

    /// Fills the hole at the root with `key`: walk the hole down along the smaller children to
    /// the bottom, then let `key` rise from there (fewer comparisons than a classic sift-down;
    /// a 4-ary variant measured slower).
    #[inline]
    fn sift_down_from_root(&mut self, key: u128) {
        let len = self.heap.len();
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < len {
            let (l, r) = (self.heap[child], self.heap[child + 1]);
            let (pick, smaller) = if r < l { (child + 1, r) } else { (child, l) };
            self.heap[hole] = smaller;
            hole = pick;
            child = 2 * hole + 1;
        }
        if child < len {
            self.heap[hole] = self.heap[child];
            hole = child;
        }
        self.sift_up(hole, key);
    }

    /// The time of the earliest event.
    #[inline]
    pub fn peek_time(&self) -> Option<Instant> {
        self.heap.first().map(|&k| Instant::from_micros((k >> 64) as u64))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.push(Instant::from_micros(5), "c");
        q.push(Instant::from_micros(1), "a");
        q.push(Instant::from_micros(5), "d");
        q.push(Instant::from_micros(1), "b");
        assert_eq!(q.peek_time(), Some(Instant::from_micros(1)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert!(q.is_empty());
    }

    proptest! {
        /// Any interleaving of pushes and pops yields events in (time, push order), like a
        /// stable sort would.
        #[test]
        fn behaves_like_a_stable_sort(ops in proptest::collection::vec(proptest::option::of(0u64..50), 1..300)) {
            let mut q = EventQueue::new();
            let mut model: Vec<(u64, usize)> = Vec::new();
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Some(t) => { q.push(Instant::from_micros(t), i); model.push((t, i)); }
                    None => {
                        model.sort();
                        let want = if model.is_empty() { None } else { Some(model.remove(0)) };
                        let got = q.pop().map(|(t, e)| (t.as_micros(), e));
                        prop_assert_eq!(got, want);
                    }
                }
            }
            model.sort();
            let rest: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(t, e)| (t.as_micros(), e)).collect();
            prop_assert_eq!(rest, model);
        }
    }
}
