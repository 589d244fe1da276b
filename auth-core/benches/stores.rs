//! What the choice of store costs, measured in one run for each store
//! (memory; Redis from `REDIS_URL`; PostgreSQL from `DATABASE_URL`, each
//! skipped with one line when its variable is unset):
//!
//! - `verify`: [`Verifier::verify`](auth_core::Verifier::verify) of an access
//!   token the authenticator issued, with a few thousand revocations loaded
//!   from the store into the local view. The request path never asks the
//!   store, so this is the same for every store.
//! - `refresh`: one [`Authenticator::refresh`] per iteration (rotation in the
//!   store, a user lookup, signing), each presenting the token the previous
//!   one returned: the latency of one refresh.
//! - `refresh_16_sessions`: 16 sessions rotating at once, as concurrent
//!   clients would; one iteration is one refresh of each session, so the
//!   throughput criterion prints is refreshes per second.
//!
//! Redis data goes under a random key prefix and PostgreSQL data into a fresh
//! random schema; both are deleted at the end, also when a benchmark panics.
//!
//! `REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
//! cargo bench -p auth-core --bench stores --all-features -- --warm-up-time 1 --measurement-time 3`

// Fixture setup and teardown run outside the measurements, on data made
// here: a failure there must abort the run loudly rather than measure
// something else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_core::flow::{LoginOutcome, RefreshToken};
use auth_core::store::{PostgresStore, RedisStore, Revocation, SessionState, Store};
use auth_core::{Algorithm, Authenticator, KeySet, MemoryStore, PasswordPolicy, TokenIssuer};
use criterion::{Criterion, SamplingMode, Throughput};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const ISS: &str = "https://id.example";
const AUD: &str = "api";
const USERNAME: &str = "bench-user";
const PASSWORD: &str = "correct horse battery staple";
/// Revoked tokens, sessions and users each put into the store.
const REVOKED_PER_KIND: usize = 1_000;
/// Sessions refreshing concurrently in `refresh_16_sessions`.
const CONCURRENT_SESSIONS: usize = 16;
/// Tasks writing the revocations into the store at setup.
const WRITERS: usize = 8;

/// One store under test, with what the benchmarks present to it.
struct Subject {
    name: &'static str,
    auth: Authenticator,
    /// An access token `auth` issued, not revoked.
    access_token: String,
    /// The current refresh token of the session `refresh` rotates.
    chain: RefCell<Option<RefreshToken>>,
    /// The current refresh tokens of the sessions `refresh_16_sessions` rotates.
    concurrent_chains: RefCell<Vec<RefreshToken>>,
}

/// What must be deleted at the end of the run.
enum Scratch {
    RedisPrefix { url: String, prefix: String },
    PostgresSchema { url: String, store: PostgresStore },
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let scratch = RefCell::new(Vec::new());
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let subjects = subjects(&runtime, &scratch);
        let mut criterion = Criterion::default().configure_from_args();
        bench_verify(&mut criterion, &subjects);
        bench_refresh(&mut criterion, &runtime, &subjects);
        bench_concurrent_refresh(&mut criterion, &runtime, &subjects);
        criterion.final_summary();
    }));
    runtime.block_on(delete_scratch(scratch.into_inner()));
    if let Err(panic) = outcome {
        resume_unwind(panic);
    }
}

/// The stores that can be reached, ready to measure; what they write is
/// registered in `scratch` before anything is written.
fn subjects(runtime: &Runtime, scratch: &RefCell<Vec<Scratch>>) -> Vec<Subject> {
    let mut subjects = vec![runtime.block_on(prepare("memory", MemoryStore::new()))];
    match service_url("REDIS_URL") {
        Some(url) => {
            let prefix = format!("auth-bench-{}:", random_hex());
            let store = runtime
                .block_on(RedisStore::connect(&url))
                .unwrap_or_else(|error| panic!("Redis at REDIS_URL is unreachable: {error}"))
                .with_prefix(prefix.clone());
            scratch
                .borrow_mut()
                .push(Scratch::RedisPrefix { url, prefix });
            subjects.push(runtime.block_on(prepare("redis", store)));
        }
        None => eprintln!("stores bench: skipping Redis: REDIS_URL is not set"),
    }
    match service_url("DATABASE_URL") {
        Some(url) => {
            let schema = format!("auth_bench_{}", random_hex());
            let store = runtime
                .block_on(PostgresStore::connect_with_schema(&url, &schema))
                .unwrap_or_else(|error| panic!("PostgreSQL at DATABASE_URL: {error}"));
            scratch.borrow_mut().push(Scratch::PostgresSchema {
                url,
                store: store.clone(),
            });
            subjects.push(runtime.block_on(prepare("postgres", store)));
        }
        None => eprintln!("stores bench: skipping PostgreSQL: DATABASE_URL is not set"),
    }
    subjects
}

fn service_url(variable: &str) -> Option<String> {
    std::env::var(variable).ok().filter(|url| !url.is_empty())
}

/// 24 random lower-case hex digits: a prefix or schema no other run uses.
fn random_hex() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since_epoch.as_secs()).unwrap()
}

/// An authenticator over `store` whose local view holds the revocations
/// loaded from the store, one user, and the sessions the benchmarks rotate.
async fn prepare(name: &'static str, store: impl Store) -> Subject {
    let issuer = TokenIssuer::new(KeySet::generate(Algorithm::EdDSA).unwrap(), ISS, AUD);
    let auth = Authenticator::builder(issuer, store)
        .password_policy(PasswordPolicy::insecure_fast_for_tests())
        .build()
        .await
        .unwrap();

    write_revocations(Arc::clone(auth.state())).await;
    let loaded = auth.load_revocations().await.unwrap();
    assert_eq!(
        loaded,
        3 * REVOKED_PER_KIND,
        "{name}: revocations in the store"
    );
    assert_eq!(auth.revocations().len(), 3 * REVOKED_PER_KIND, "{name}");

    auth.register(USERNAME, PASSWORD, None).await.unwrap();
    let mut sessions = Vec::new();
    for _ in 0..=CONCURRENT_SESSIONS {
        match auth.login(USERNAME, PASSWORD, None).await.unwrap() {
            LoginOutcome::Tokens(tokens) => sessions.push(tokens),
            LoginOutcome::MfaRequired(_) => panic!("{name}: no second factor is enrolled"),
        }
    }
    let first = sessions.remove(0);
    let access_token = first.access.access_token;
    assert!(auth.verifier().verify(&access_token).is_ok(), "{name}");
    Subject {
        name,
        auth,
        access_token,
        chain: RefCell::new(Some(first.refresh)),
        concurrent_chains: RefCell::new(sessions.into_iter().map(|s| s.refresh).collect()),
    }
}

/// Puts `REVOKED_PER_KIND` revocations of each kind (tokens, sessions, users
/// other than the benchmark's) into the store, all in force for an hour.
async fn write_revocations(store: Arc<dyn SessionState>) {
    let until = now() + 3600;
    let mut writers = JoinSet::new();
    for writer in 0..WRITERS {
        let store = Arc::clone(&store);
        writers.spawn(async move {
            for i in (writer..REVOKED_PER_KIND).step_by(WRITERS) {
                let revocations = [
                    Revocation::Token {
                        jti: format!("revoked-jti-{i:04}-xxxxxxxxxx"),
                        expires_at: until,
                    },
                    Revocation::Session {
                        sid: format!("revoked-sid-{i:04}-xxxxxxxxxx"),
                        until,
                    },
                    Revocation::User {
                        sub: format!("revoked-user-{i:04}"),
                        issued_up_to: until - 3600,
                        until,
                    },
                ];
                for revocation in &revocations {
                    store.revoke(revocation).await.unwrap();
                }
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
}

fn bench_verify(c: &mut Criterion, subjects: &[Subject]) {
    let mut group = c.benchmark_group("verify");
    for subject in subjects {
        let verifier = subject.auth.verifier();
        group.bench_function(subject.name, |b| {
            b.iter(|| verifier.verify(black_box(&subject.access_token)).is_ok());
        });
    }
    group.finish();
}

/// Refreshes `rotations` times in a row from `token`; returns the last token.
async fn rotate(auth: Authenticator, mut token: RefreshToken, rotations: u64) -> RefreshToken {
    for _ in 0..rotations {
        let pair = auth.refresh(token.expose(), None).await.unwrap();
        token = black_box(pair).refresh;
    }
    token
}

// Each sample is timed inside one task spawned on the runtime's workers, as a
// server's handler runs: `to_async` would poll the refreshes on the
// `block_on` thread, which is not a worker, so every store reply would cross
// threads, and a `block_on` per iteration would add a park and unpark to
// each refresh.
fn bench_refresh(c: &mut Criterion, runtime: &Runtime, subjects: &[Subject]) {
    let mut group = c.benchmark_group("refresh");
    // Milliseconds per iteration for the shared stores: equal-sized samples
    // keep the run within its measurement time.
    group.sampling_mode(SamplingMode::Flat);
    for subject in subjects {
        group.bench_function(subject.name, |b| {
            b.iter_custom(|iters| {
                let token = subject.chain.take().expect("the chain's current token");
                let auth = subject.auth.clone();
                let (elapsed, token) = runtime
                    .block_on(runtime.spawn(async move {
                        let started = Instant::now();
                        let token = rotate(auth, token, iters).await;
                        (started.elapsed(), token)
                    }))
                    .unwrap();
                subject.chain.replace(Some(token));
                elapsed
            });
        });
    }
    group.finish();
}

fn bench_concurrent_refresh(c: &mut Criterion, runtime: &Runtime, subjects: &[Subject]) {
    let mut group = c.benchmark_group(format!("refresh_{CONCURRENT_SESSIONS}_sessions"));
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(CONCURRENT_SESSIONS as u64));
    for subject in subjects {
        group.bench_function(subject.name, |b| {
            b.iter_custom(|iters| {
                let tokens = subject.concurrent_chains.take();
                let (elapsed, tokens) = runtime.block_on(rotate_all(&subject.auth, tokens, iters));
                subject.concurrent_chains.replace(tokens);
                elapsed
            });
        });
    }
    group.finish();
}

/// Rotates every session `rotations` times, all sessions at once; returns the
/// time until the last one is done, and the sessions' last tokens.
async fn rotate_all(
    auth: &Authenticator,
    tokens: Vec<RefreshToken>,
    rotations: u64,
) -> (Duration, Vec<RefreshToken>) {
    let started = Instant::now();
    let chains: Vec<_> = tokens
        .into_iter()
        .map(|token| tokio::spawn(rotate(auth.clone(), token, rotations)))
        .collect();
    let mut last = Vec::with_capacity(chains.len());
    for chain in chains {
        last.push(chain.await.unwrap());
    }
    (started.elapsed(), last)
}

/// Deletes the Redis keys and PostgreSQL schemas the run wrote; says what
/// is left behind if the service cannot be reached any more.
async fn delete_scratch(scratch: Vec<Scratch>) {
    for item in scratch {
        match item {
            Scratch::RedisPrefix { url, prefix } => {
                if let Err(error) = delete_redis_prefix(&url, &prefix).await {
                    eprintln!("stores bench: Redis keys under {prefix:?} left behind: {error}");
                }
            }
            Scratch::PostgresSchema { url, store } => {
                let schema = store.schema().to_owned();
                store.close().await;
                if let Err(error) = drop_schema(&url, &schema).await {
                    eprintln!("stores bench: PostgreSQL schema {schema} left behind: {error}");
                }
            }
        }
    }
}

async fn delete_redis_prefix(url: &str, prefix: &str) -> redis::RedisResult<()> {
    let mut connection = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    // The prefix is letters, digits, '-' and ':': nothing a pattern treats specially.
    let pattern = format!("{prefix}*");
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut connection)
            .await?;
        if !keys.is_empty() {
            let _: i64 = redis::cmd("UNLINK")
                .arg(&keys)
                .query_async(&mut connection)
                .await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

async fn drop_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
    let admin = sqlx::PgPool::connect(url).await?;
    // `schema` is ours: lower-case letters, digits and '_'.
    let dropped = sqlx::query(&format!(r#"DROP SCHEMA IF EXISTS "{schema}" CASCADE"#))
        .execute(&admin)
        .await;
    admin.close().await;
    dropped.map(|_| ())
}
