//! Tests that need the pool's insides: a job that holds a slot until the test
//! lets it go, so that "waits", "does not wait" and "never more than N" are
//! shown by the pool's state, not by timing.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use super::PasswordError;
use super::*;

/// Only a guard against a hang; no test asserts on time.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn cheap(concurrency: usize) -> PasswordHasher {
    PasswordHasher::new(PasswordPolicy::insecure_fast_for_tests().max_concurrency(concurrency))
}

/// A gate that blocking jobs wait on until the test opens it. Dropping it
/// opens it too, so that a failed assertion fails the test instead of leaving
/// blocked threads that the runtime would wait for forever.
#[derive(Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

/// A job's side of a [`Gate`].
struct GateWaiter(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn waiter(&self) -> GateWaiter {
        GateWaiter(Arc::clone(&self.0))
    }

    fn open(&self) {
        let (open, changed) = &*self.0;
        *open.lock().unwrap_or_else(PoisonError::into_inner) = true;
        changed.notify_all();
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.open();
    }
}

impl GateWaiter {
    fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut open = open.lock().unwrap_or_else(PoisonError::into_inner);
        while !*open {
            open = changed.wait(open).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Waits (asynchronously, with a hang guard) until the pool is in the wanted state.
async fn until(hasher: &PasswordHasher, what: &str, wanted: impl Fn(&PoolStats) -> bool) {
    let reached = tokio::time::timeout(HANG_GUARD, async {
        while !wanted(&hasher.pool_stats()) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "pool never reached: {what}; stats {:?}",
        hasher.pool_stats()
    );
}

async fn guarded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(HANG_GUARD, future)
        .await
        .expect("hang guard")
}

fn too_long<T>(outcome: &Result<T, PasswordError>) -> bool {
    matches!(outcome, Err(PasswordError::TooLong { max: 128 }))
}

/// Starts a job that holds one slot until `gate` opens.
fn occupy(
    hasher: &PasswordHasher,
    gate: &Gate,
) -> tokio::task::JoinHandle<Result<(), PasswordError>> {
    let (hasher, gate) = (hasher.clone(), gate.waiter());
    tokio::spawn(async move { hasher.pool().run(move || gate.wait()).await })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_password_is_refused_while_the_only_slot_is_busy() {
    let hasher = cheap(1);
    let stored = guarded(hasher.hash("a fine password")).await.unwrap();
    let gate = Gate::default();
    let blocker = occupy(&hasher, &gate);
    until(&hasher, "the slot taken", |s| s.running == 1).await;
    assert_eq!(hasher.pool().available_permits(), 0);

    let long = "x".repeat(10_000);
    assert!(too_long(&guarded(hasher.hash(&long)).await));
    assert!(too_long(&guarded(hasher.verify(&long, &stored)).await));
    assert!(too_long(&guarded(hasher.verify_dummy(&long)).await));
    assert_eq!(hasher.pool_stats().waiting, 0, "the long password queued");

    // A password of acceptable length does wait for the slot.
    let queued = tokio::spawn({
        let hasher = hasher.clone();
        async move { hasher.verify("a fine password", &stored).await }
    });
    until(&hasher, "the verification queued", |s| s.waiting == 1).await;
    gate.open();
    guarded(blocker).await.unwrap().unwrap();
    assert_eq!(
        guarded(queued).await.unwrap().unwrap(),
        PasswordCheck::Match
    );
    assert_eq!(hasher.pool_stats().completed, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_than_capacity_jobs_run() {
    const N: usize = 2;
    let hasher = cheap(N);
    let gate = Gate::default();
    let inside = Arc::new(AtomicUsize::new(0));
    let most_inside = Arc::new(AtomicUsize::new(0));
    let jobs: Vec<_> = (0..4 * N)
        .map(|_| {
            let (hasher, gate) = (hasher.clone(), gate.waiter());
            let (inside, most_inside) = (Arc::clone(&inside), Arc::clone(&most_inside));
            tokio::spawn(async move {
                hasher
                    .pool()
                    .run(move || {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most_inside.fetch_max(now, Ordering::SeqCst);
                        gate.wait();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            })
        })
        .collect();

    // Every job is either inside (and stays there until the gate opens) or waiting.
    let inside_now = Arc::clone(&inside);
    until(&hasher, "all jobs placed", move |s| {
        inside_now.load(Ordering::SeqCst) + s.waiting == 4 * N
    })
    .await;
    assert_eq!(inside.load(Ordering::SeqCst), N);
    let stats = hasher.pool_stats();
    assert_eq!((stats.running, stats.waiting), (N, 3 * N));

    gate.open();
    for job in jobs {
        guarded(job).await.unwrap().unwrap();
    }
    let stats = hasher.pool_stats();
    assert_eq!(most_inside.load(Ordering::SeqCst), N);
    assert_eq!(
        (stats.high_water, stats.running, stats.completed),
        (N, 0, 4 * N as u64)
    );
    assert_eq!(hasher.pool().available_permits(), N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_dropped_while_waiting_leaves_no_trace() {
    let hasher = cheap(1);
    let gate = Gate::default();
    let blocker = occupy(&hasher, &gate);
    until(&hasher, "the slot taken", |s| s.running == 1).await;

    // Polled once (it joins the queue), then dropped.
    let mut waiting = Box::pin(hasher.hash("a fine password"));
    tokio::select! {
        biased;
        _ = &mut waiting => panic!("the hash ran although the only slot was taken"),
        () = std::future::ready(()) => {}
    }
    assert_eq!(hasher.pool_stats().waiting, 1);
    drop(waiting);
    assert_eq!(hasher.pool_stats().waiting, 0);

    // The same through a task that is aborted.
    let task = tokio::spawn({
        let hasher = hasher.clone();
        async move { hasher.hash("a fine password").await }
    });
    until(&hasher, "the task queued", |s| s.waiting == 1).await;
    task.abort();
    assert!(guarded(task).await.unwrap_err().is_cancelled());
    assert_eq!(hasher.pool_stats().waiting, 0);

    gate.open();
    guarded(blocker).await.unwrap().unwrap();
    assert_eq!(hasher.pool().available_permits(), 1);
    let stored = guarded(hasher.hash("a fine password")).await.unwrap();
    assert!(
        guarded(hasher.verify("a fine password", &stored))
            .await
            .unwrap()
            .is_match()
    );
    assert_eq!(hasher.pool_stats().completed, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_dropped_while_its_job_runs_frees_the_slot_when_the_job_ends() {
    let hasher = cheap(1);
    let gate = Gate::default();
    let caller = occupy(&hasher, &gate);
    until(&hasher, "the job running", |s| s.running == 1).await;
    caller.abort();
    assert!(guarded(caller).await.unwrap_err().is_cancelled());

    // The thread cannot be stopped: it keeps its slot, so the bound holds.
    assert_eq!(hasher.pool_stats().running, 1);
    assert_eq!(hasher.pool().available_permits(), 0);

    gate.open();
    until(&hasher, "the job done", |s| s.running == 0).await;
    assert_eq!(hasher.pool().available_permits(), 1);
    assert_eq!(hasher.pool_stats().completed, 1);
}

#[tokio::test]
async fn a_panicking_job_is_an_error_and_frees_its_slot() {
    let hasher = cheap(1);
    let outcome = guarded(hasher.pool().run::<(), _>(|| panic!("job panics"))).await;
    assert!(matches!(outcome, Err(PasswordError::Pool(_))));
    assert_eq!(hasher.pool_stats().running, 0);
    assert_eq!(hasher.pool().available_permits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_queue_a_caller_is_refused_at_once_and_the_bound_holds_under_a_flood() {
    const QUEUE: usize = 5;
    let hasher = PasswordHasher::new(
        PasswordPolicy::insecure_fast_for_tests()
            .max_concurrency(1)
            .max_queue(QUEUE),
    );
    let gate = Gate::default();
    let blocker = occupy(&hasher, &gate);
    until(&hasher, "the slot taken", |s| s.running == 1).await;

    // 100 callers at once: QUEUE of them wait, the rest are refused without waiting.
    let flood: Vec<_> = (0..100)
        .map(|_| {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.hash("a fine password").await })
        })
        .collect();
    until(&hasher, "the queue full and the rest refused", |s| {
        s.waiting == QUEUE && s.refused == 100 - QUEUE as u64
    })
    .await;
    assert_eq!(
        hasher.pool_stats().waiting,
        QUEUE,
        "never more than the queue"
    );

    gate.open();
    guarded(blocker).await.unwrap().unwrap();
    let mut outcomes = (0, 0);
    for caller in flood {
        match guarded(caller).await.unwrap() {
            Ok(_) => outcomes.0 += 1,
            Err(PasswordError::Overloaded) => outcomes.1 += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(outcomes, (QUEUE, 100 - QUEUE));
    // Once the flood is over, hashing works again.
    assert!(guarded(hasher.hash("a fine password")).await.is_ok());
    assert_eq!(hasher.pool_stats().waiting, 0);
}
