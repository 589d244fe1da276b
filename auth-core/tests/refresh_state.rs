//! A refresh-token family keeps a constant stored state however often it
//! rotates: 10,000 refreshes through the flows leave the same number of
//! records as one, in every store (memory: entries; Redis: keys; PostgreSQL:
//! rows).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod services;

use std::future::Future;

use auth_core::flow::{ClientInfo, FlowConfig, TokenPair};
use auth_core::store::{MemoryStore, NewUser, Store};
use auth_core::{Algorithm, Authenticator, KeySet, PasswordPolicy, TokenIssuer};
use services::postgres::{admin_pool, in_scratch_schema, open};
use services::redis_prefix::{Cleanup, connect, unique_prefix};
use services::{database_url, now, redis_url};

const ROTATIONS: usize = 10_000;

/// Starts a session on `store`, rotates it [`ROTATIONS`] times, and checks
/// with `count` that the store holds as many records after the last rotation
/// as after the first.
async fn rotates_in_constant_space<S, C, Fut>(what: &str, store: S, count: C)
where
    S: Store + Clone,
    C: Fn() -> Fut,
    Fut: Future<Output = usize>,
{
    let issuer = TokenIssuer::new(
        KeySet::generate(Algorithm::EdDSA).unwrap(),
        "https://id",
        "api",
    );
    let auth = Authenticator::builder(issuer, store.clone())
        .password_policy(PasswordPolicy::insecure_fast_for_tests())
        .config(FlowConfig::default())
        .build()
        .await
        .unwrap();
    let user = store
        .create_user(NewUser {
            username: format!("rotor-{}", now()),
            password_hash: None,
            roles: Vec::new(),
        })
        .await
        .unwrap();
    let mut tokens: TokenPair = auth
        .start_session(&user, vec!["pwd".to_owned()], now(), &ClientInfo::unknown())
        .await
        .unwrap();
    tokens = auth.refresh(tokens.refresh.expose(), None).await.unwrap();
    let after_one = count().await;
    for _ in 1..ROTATIONS {
        tokens = auth.refresh(tokens.refresh.expose(), None).await.unwrap();
    }
    let after_all = count().await;
    assert_eq!(
        after_all, after_one,
        "{what}: {ROTATIONS} rotations must leave as many records as one"
    );
    // And the family is still the same live session.
    let claims = auth.verifier().verify(&tokens.access.access_token).unwrap();
    assert_eq!(claims.sub, user.id);
    services::report(&format!(
        "refresh state: {what}: {after_all} records after 1 and after {ROTATIONS} rotations"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_stays_one_record_in_memory() {
    let store = MemoryStore::new();
    let counted = store.clone();
    rotates_in_constant_space("memory entries", store, || {
        let len = counted.len();
        async move { len }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_stays_one_key_in_redis() {
    let Some(url) = redis_url("the Redis refresh-state test") else {
        return;
    };
    let cleanup = Cleanup::new(&url);
    let prefix = cleanup.add(unique_prefix());
    let store = connect(&url, &prefix).await;
    let client = redis::Client::open(url.as_str()).unwrap();
    rotates_in_constant_space("Redis keys", store, || {
        let (client, prefix) = (client.clone(), prefix.clone());
        async move {
            let mut connection = client.get_multiplexed_async_connection().await.unwrap();
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{prefix}*"))
                .query_async(&mut connection)
                .await
                .unwrap();
            keys.len()
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_stays_one_row_in_postgres() {
    let Some(url) = database_url("the PostgreSQL refresh-state test") else {
        return;
    };
    in_scratch_schema(&url, |url, schema| async move {
        let store = open(&url, &schema).await;
        let admin = admin_pool(&url).await;
        rotates_in_constant_space("PostgreSQL rows", store, || {
            let (admin, schema) = (admin.clone(), schema.clone());
            async move {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = $1 AND table_name LIKE 'auth\\_%'",
                )
                .bind(&schema)
                .fetch_all(&admin)
                .await
                .unwrap();
                let mut rows = 0i64;
                for table in tables {
                    let count: i64 = sqlx::query_scalar(&format!(
                        r#"SELECT count(*) FROM "{schema}"."{table}""#
                    ))
                    .fetch_one(&admin)
                    .await
                    .unwrap();
                    rows += count;
                }
                usize::try_from(rows).unwrap()
            }
        })
        .await;
    })
    .await;
}
