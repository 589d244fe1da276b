//! Keys under a prefix of the test's own on the shared Redis of `REDIS_URL`:
//! tests running at once (and leftovers of earlier runs) never see each
//! other's keys, and what a test wrote is deleted at its end.

use std::sync::Mutex;

use auth_core::store::RedisStore;

/// A key prefix no other test or run uses.
pub(crate) fn unique_prefix() -> String {
    format!("auth-test-{}:", super::random_hex())
}

/// A store on `url` whose keys are under `prefix`, with a connection of its
/// own, as an app instance would have.
pub(crate) async fn connect(url: &str, prefix: &str) -> RedisStore {
    match RedisStore::connect(url).await {
        Ok(store) => store.with_prefix(prefix),
        Err(error) => panic!("the Redis to test against is unreachable: {error}"),
    }
}

/// Deletes every key under the prefixes it was given when dropped, failed
/// tests included: users and API keys never expire by themselves.
pub(crate) struct Cleanup {
    url: String,
    prefixes: Mutex<Vec<String>>,
}

impl Cleanup {
    /// Nothing to delete yet, on the Redis at `url`.
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            prefixes: Mutex::new(Vec::new()),
        }
    }

    /// Registers `prefix`; returns it.
    pub(crate) fn add(&self, prefix: String) -> String {
        self.prefixes.lock().unwrap().push(prefix.clone());
        prefix
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Ok(mut connection) =
            redis::Client::open(self.url.as_str()).and_then(|client| client.get_connection())
        else {
            return;
        };
        let prefixes = self
            .prefixes
            .get_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        for prefix in prefixes {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{prefix}*"))
                .query(&mut connection)
                .unwrap_or_default();
            for key in keys {
                let _: redis::RedisResult<i64> = redis::cmd("DEL").arg(key).query(&mut connection);
            }
        }
    }
}
