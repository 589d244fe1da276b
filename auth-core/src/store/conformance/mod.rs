//! The store conformance suite: the behaviour every [`Store`] must show,
//! written once and run against each implementation (memory, Redis,
//! PostgreSQL) by its own test file.
//!
//! Built with the `conformance` feature. Each check is an `async fn` that
//! panics with a message naming the broken rule. Every check works under
//! random names, so a shared backend holding leftovers of earlier runs passes
//! too. The concurrency checks spawn tasks: run them on a multi-thread tokio
//! runtime, or they prove little.
//!
//! ```no_run
//! use auth_core::store::MemoryStore;
//! use auth_core::store::conformance::{self, StoreFactory};
//!
//! struct Memory;
//!
//! impl StoreFactory for Memory {
//!     type Store = MemoryStore;
//!     async fn create(&self) -> MemoryStore {
//!         MemoryStore::new()
//!     }
//!     async fn second_instance(&self, store: &MemoryStore) -> MemoryStore {
//!         store.clone()
//!     }
//! }
//!
//! # let runtime = tokio::runtime::Builder::new_multi_thread().build().unwrap();
//! runtime.block_on(conformance::run_all(&Memory));
//! ```

mod api_keys;
mod ephemeral;
mod passkeys;
mod races;
mod session_list;
mod sessions;
mod users;

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Barrier;

use super::{SecretHash, Store};

pub use api_keys::{
    api_key_view_follows_the_store, api_keys_are_limited_per_user, api_keys_are_listed,
    api_keys_create_look_up_revoke,
};
pub use ephemeral::{
    codes_are_consumed_once, codes_consumed_concurrently_once,
    one_time_expired_mark_is_usable_again, one_time_is_used_looks_without_marking,
    one_time_used_concurrently_once, revocations_are_listed_until_they_expire,
    throttle_clear_forgets, throttle_counts_concurrent_failures, throttle_counts_in_a_fixed_window,
    throttle_reservations_hold_under_concurrency, throttle_reserves_up_to_the_limit,
};
pub use passkeys::{
    ceremonies_are_taken_once, passkey_counter_races_record_once,
    passkey_counters_only_move_forward, passkeys_are_limited_per_user,
    passkeys_are_shared_across_instances, passkeys_create_list_delete,
};
pub use races::{rotation_concurrent_across_instances, rotation_concurrent_one_token};
pub use session_list::{rotation_records_the_last_use, sessions_are_listed_per_user};
pub use sessions::{
    rotation_chain, rotation_expired_token_is_invalid, rotation_reuse_interval,
    rotation_reuse_revokes_the_family, sessions_revoked_by_sid, sessions_revoked_by_user,
};
pub use users::{
    recovery_codes_consumed_concurrently_once, recovery_codes_consumed_once,
    users_create_and_look_up, users_duplicate_username, users_duplicate_username_concurrently,
    users_update_password_and_totp,
};

/// Makes the stores under test.
pub trait StoreFactory: Send + Sync {
    /// The implementation under test.
    type Store: Store;

    /// A new store. For shared backends it may hold other records: the checks
    /// only touch their own.
    fn create(&self) -> impl Future<Output = Self::Store> + Send;

    /// A second instance over the same backend as `store`, opened as a second
    /// app instance would (its own connections), for the "several instances"
    /// checks. For the memory store, a clone.
    fn second_instance(&self, store: &Self::Store) -> impl Future<Output = Self::Store> + Send;
}

/// Runs every check against fresh stores from `factory`.
///
/// [`api_key_view_follows_the_store`] is not included: it needs the store to
/// be its own [`ApiKeyView`](super::ApiKeyView); call it as well where it is.
pub async fn run_all<F: StoreFactory>(factory: &F) {
    macro_rules! check {
        ($name:ident) => {
            eprintln!("store conformance: {}", stringify!($name));
            $name(Arc::new(factory.create().await)).await;
        };
    }
    check!(users_create_and_look_up);
    check!(users_duplicate_username);
    check!(users_duplicate_username_concurrently);
    check!(users_update_password_and_totp);
    check!(recovery_codes_consumed_once);
    check!(recovery_codes_consumed_concurrently_once);
    check!(rotation_chain);
    check!(rotation_reuse_revokes_the_family);
    check!(rotation_reuse_interval);
    check!(rotation_expired_token_is_invalid);
    check!(sessions_revoked_by_sid);
    check!(sessions_revoked_by_user);
    check!(sessions_are_listed_per_user);
    check!(rotation_records_the_last_use);
    check!(rotation_concurrent_one_token);
    check!(one_time_used_concurrently_once);
    check!(one_time_expired_mark_is_usable_again);
    check!(one_time_is_used_looks_without_marking);
    check!(codes_are_consumed_once);
    check!(codes_consumed_concurrently_once);
    check!(throttle_counts_in_a_fixed_window);
    check!(throttle_clear_forgets);
    check!(throttle_counts_concurrent_failures);
    check!(throttle_reserves_up_to_the_limit);
    check!(throttle_reservations_hold_under_concurrency);
    check!(revocations_are_listed_until_they_expire);
    check!(api_keys_create_look_up_revoke);
    check!(api_keys_are_listed);
    check!(api_keys_are_limited_per_user);
    check!(passkeys_create_list_delete);
    check!(passkey_counters_only_move_forward);
    check!(passkey_counter_races_record_once);
    check!(passkeys_are_limited_per_user);
    check!(ceremonies_are_taken_once);
    eprintln!("store conformance: rotation_concurrent_across_instances");
    rotation_concurrent_across_instances(factory).await;
    eprintln!("store conformance: passkeys_are_shared_across_instances");
    passkeys_are_shared_across_instances(factory).await;
}

/// How many tasks race in the concurrency checks.
pub(super) const RACERS: usize = 32;

/// Unwraps a result, or fails the check naming the operation.
pub(super) trait Must<T> {
    /// The value, or a panic naming `what`.
    fn must(self, what: &str) -> T;
}

impl<T, E: Display> Must<T> for Result<T, E> {
    #[track_caller]
    fn must(self, what: &str) -> T {
        match self {
            Ok(value) => value,
            Err(error) => panic!("store conformance: {what} failed: {error}"),
        }
    }
}

/// The store's clock: seconds since the epoch. Shared backends expire records
/// in real time, so the checks place every moment around the real now.
pub(super) fn now() -> i64 {
    crate::time::now()
}

/// A name no earlier run used.
pub(super) fn unique(kind: &str) -> String {
    format!(
        "conformance-{kind}-{}",
        crate::random::token_id().must("random id")
    )
}

/// A fresh random secret's hash.
pub(super) fn random_hash() -> SecretHash {
    let secret = crate::random::base64_bytes::<32>().must("random secret");
    SecretHash::of("conformance", secret.as_bytes())
}

/// Runs `RACERS` tasks made by `task`, released together, and collects their results.
pub(super) async fn race<T, Fut>(task: impl Fn(usize) -> Fut) -> Vec<T>
where
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(RACERS));
    let handles: Vec<_> = (0..RACERS)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let racer = task(i);
            tokio::spawn(async move {
                barrier.wait().await;
                racer.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(RACERS);
    for handle in handles {
        results.push(handle.await.must("a racing task"));
    }
    results
}
