//! Fixed windows of failed attempts.

use std::collections::HashMap;

use crate::store::{Attempt, Failures};

use super::expiry::ExpiryQueue;

#[derive(Default)]
pub(super) struct Throttle {
    windows: HashMap<String, Failures>,
    expiry: ExpiryQueue<String>,
}

impl Throttle {
    /// The running window of `key`, or a count of 0 ending `now` when none runs.
    pub(super) fn failures(&self, key: &str, now: i64) -> Failures {
        self.windows
            .get(key)
            .filter(|w| now < w.window_ends)
            .copied()
            .unwrap_or(Failures {
                count: 0,
                window_ends: now,
            })
    }

    pub(super) fn record_failure(&mut self, key: &str, now: i64, window_secs: i64) -> Failures {
        let running = self.windows.get_mut(key).filter(|w| now < w.window_ends);
        if let Some(window) = running {
            window.count = window.count.saturating_add(1);
            return *window;
        }
        let window = Failures {
            count: 1,
            // A window of at least one second, so a failure always counts.
            window_ends: now.saturating_add(window_secs.max(1)),
        };
        self.windows.insert(key.to_owned(), window);
        self.expiry.schedule(key.to_owned(), window.window_ends);
        window
    }

    pub(super) fn reserve(&mut self, key: &str, now: i64, window_secs: i64, limit: u32) -> Attempt {
        let running = self.failures(key, now);
        if running.count >= limit {
            return Attempt::Refused(running);
        }
        Attempt::Reserved(self.record_failure(key, now, window_secs))
    }

    pub(super) fn release(&mut self, key: &str, now: i64) {
        let Some(window) = self.windows.get_mut(key).filter(|w| now < w.window_ends) else {
            return;
        };
        window.count = window.count.saturating_sub(1);
        if window.count == 0 {
            // Its queue entry stays until it falls due, and finds nothing then.
            self.windows.remove(key);
        }
    }

    pub(super) fn clear(&mut self, key: &str) {
        self.windows.remove(key);
    }

    pub(super) fn sweep(&mut self, now: i64) {
        while let Some(key) = self.expiry.pop_due(now) {
            if self.windows.get(&key).is_some_and(|w| w.window_ends < now) {
                self.windows.remove(&key);
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.windows.len()
    }

    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.expiry.len()
    }
}
