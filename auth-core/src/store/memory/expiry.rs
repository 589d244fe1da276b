//! When each record of a map stops mattering, so it can be dropped in time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A min-heap of `(expiry, key)`: popping what is due costs O(log n) per
/// record, so sweeping on every write stays amortised however large the map.
///
/// The queue is advisory: a record may have been removed or given a later
/// expiry since it was scheduled, so the owner re-checks the record before
/// dropping it. Every scheduled entry is popped once its moment has passed, so
/// the queue is bounded by the records written within their lifetimes.
pub(super) struct ExpiryQueue<K: Ord> {
    heap: BinaryHeap<Reverse<(i64, K)>>,
}

impl<K: Ord> Default for ExpiryQueue<K> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
        }
    }
}

impl<K: Ord> ExpiryQueue<K> {
    /// Remembers that `key` may be dropped once `at` has passed.
    pub(super) fn schedule(&mut self, key: K, at: i64) {
        // Records that never expire need no entry.
        if at != i64::MAX {
            self.heap.push(Reverse((at, key)));
        }
    }

    /// The next key scheduled strictly before `now`, if any.
    pub(super) fn pop_due(&mut self, now: i64) -> Option<K> {
        let due = self.heap.peek().is_some_and(|Reverse((at, _))| *at < now);
        if due {
            self.heap.pop().map(|Reverse((_, key))| key)
        } else {
            None
        }
    }

    /// How many entries are waiting (for tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }
}
