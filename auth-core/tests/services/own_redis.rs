//! A `redis-server` of the test's own, for the outage tests: they kill,
//! freeze and restart it, which they must not do to the shared Redis of
//! `REDIS_URL` that the other tests use at the same time.

use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::Duration;

use super::{say_once, services_required};

/// A `redis-server` on a port of 127.0.0.1, without persistence, killed when
/// dropped.
pub(crate) struct OwnRedis {
    port: u16,
    child: Child,
}

impl OwnRedis {
    /// Starts one on `port` (see [`free_port`](super::free_port)) and waits
    /// until it answers; `None` (skip) when `redis-server` is not installed,
    /// unless the services are required.
    pub(crate) async fn start(port: u16) -> Option<Self> {
        static SKIP: Once = Once::new();
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) if services_required() => {
                panic!("AUTH_TEST_REQUIRE_SERVICES=1 and redis-server cannot be started: {error}")
            }
            Err(_) => {
                say_once(
                    &SKIP,
                    "skipping Redis outage tests: redis-server is not installed",
                );
                return None;
            }
        };
        let server = Self { port, child };
        // Readiness: a bounded wait for the first PONG.
        for _ in 0..200 {
            let pong = redis::Client::open(server.url().as_str())
                .and_then(|client| client.get_connection_with_timeout(Duration::from_millis(200)))
                .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection));
            if pong.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {port} did not start");
    }

    /// Its `redis://` URL.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Sends `signal` (`-STOP`, `-CONT`) to the server process: a stopped
    /// server keeps its socket open but never answers.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} failed");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
