//! The bounded pool argon2 runs on, off the async runtime's worker threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::PasswordError;

/// A snapshot of a hasher's pool, for metrics and health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// How many hashes may run at the same time.
    pub capacity: usize,
    /// Hashes running now (each holds one of the `capacity` slots).
    pub running: usize,
    /// Callers waiting for a slot; never above `queue`.
    pub waiting: usize,
    /// How many callers may wait; one more is refused at once.
    pub queue: usize,
    /// Callers refused because the queue was full, since the pool was built.
    pub refused: u64,
    /// The most hashes ever seen running at the same time; never above
    /// `capacity`.
    pub high_water: usize,
    /// Hashes and verifications run to the end since the pool was built.
    pub completed: u64,
}

#[derive(Default)]
struct Counters {
    waiting: AtomicUsize,
    running: AtomicUsize,
    high_water: AtomicUsize,
    completed: AtomicU64,
    refused: AtomicU64,
}

/// At most `capacity` jobs run at once, each on one of tokio's blocking
/// threads; at most `queue` others wait, in arrival order, for a permit; any
/// more are refused at once ([`PasswordError::Overloaded`]).
///
/// Admission is one `try_acquire` on a semaphore of `capacity + queue`
/// permits, so the bound holds however many callers arrive together. The
/// running permit is taken *before* the blocking task is spawned and travels
/// inside it, so it is released when the job really ends: a caller that gives
/// up while its job runs cannot let another job start next to it, and the
/// bound holds on threads and on memory alike.
pub(super) struct HashingPool {
    permits: Arc<Semaphore>,
    admission: Arc<Semaphore>,
    capacity: usize,
    queue: usize,
    counters: Arc<Counters>,
}

impl HashingPool {
    pub(super) fn new(capacity: usize, queue: usize) -> Self {
        let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS / 2);
        let queue = queue.min(Semaphore::MAX_PERMITS / 2);
        Self {
            permits: Arc::new(Semaphore::new(capacity)),
            admission: Arc::new(Semaphore::new(capacity + queue)),
            capacity,
            queue,
            counters: Arc::default(),
        }
    }

    pub(super) fn stats(&self) -> PoolStats {
        PoolStats {
            capacity: self.capacity,
            running: self.counters.running.load(Ordering::Acquire),
            waiting: self.counters.waiting.load(Ordering::Acquire),
            queue: self.queue,
            refused: self.counters.refused.load(Ordering::Acquire),
            high_water: self.counters.high_water.load(Ordering::Acquire),
            completed: self.counters.completed.load(Ordering::Acquire),
        }
    }

    /// Runs `job` on a blocking thread once a slot is free.
    ///
    /// Dropping the returned future while it waits gives up the place in the
    /// queue and takes nothing; dropping it while the job runs lets the job
    /// finish (a thread cannot be interrupted) and frees the slot then.
    ///
    /// # Errors
    /// [`PasswordError::Overloaded`] at once when `capacity + queue` jobs are already
    /// admitted; [`PasswordError::Pool`] outside a tokio runtime, when the
    /// runtime is shutting down, or when the job panicked.
    pub(super) async fn run<T, F>(&self, job: F) -> Result<T, PasswordError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| PasswordError::Pool("no Tokio runtime"))?;
        let Ok(admitted) = Arc::clone(&self.admission).try_acquire_owned() else {
            self.counters.refused.fetch_add(1, Ordering::AcqRel);
            return Err(PasswordError::Overloaded);
        };
        let slot = {
            let _waiting = Waiting::enter(&self.counters);
            let permit = Arc::clone(&self.permits)
                .acquire_owned()
                .await
                .map_err(|_| PasswordError::Pool("the pool is closed"))?;
            Slot::take(permit, admitted, &self.counters)
        };
        let task = runtime.spawn_blocking(move || {
            let output = job();
            slot.complete();
            output
        });
        task.await
            .map_err(|_| PasswordError::Pool("the hashing job panicked or was cancelled"))
    }

    #[cfg(test)]
    pub(super) fn available_permits(&self) -> usize {
        self.permits.available_permits()
    }
}

/// Counts a caller as waiting for as long as it is alive, however the wait ends.
struct Waiting<'a>(&'a Counters);

impl<'a> Waiting<'a> {
    fn enter(counters: &'a Counters) -> Self {
        counters.waiting.fetch_add(1, Ordering::AcqRel);
        Self(counters)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A permit, counted as running until it is dropped (job done, job panicked,
/// or the blocking task dropped unrun by a runtime that shuts down).
struct Slot {
    _permit: OwnedSemaphorePermit,
    _admitted: OwnedSemaphorePermit,
    counters: Arc<Counters>,
}

impl Slot {
    fn take(
        permit: OwnedSemaphorePermit,
        admitted: OwnedSemaphorePermit,
        counters: &Arc<Counters>,
    ) -> Self {
        let running = counters
            .running
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        counters.high_water.fetch_max(running, Ordering::AcqRel);
        Self {
            _permit: permit,
            _admitted: admitted,
            counters: Arc::clone(counters),
        }
    }

    fn complete(self) {
        self.counters.completed.fetch_add(1, Ordering::AcqRel);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.counters.running.fetch_sub(1, Ordering::AcqRel);
    }
}
