//! Starting the example apps as real processes on 127.0.0.1 for the end-to-end tests.
#![allow(dead_code)] // each test file uses its own part of the support code

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running example app; killed when dropped.
pub struct App {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Lines the app printed on stdout before it was ready.
    pub banner: Vec<String>,
}

impl App {
    /// Starts `binary` with `env`, waits until it prints `marker` followed by
    /// its address (`http://127.0.0.1:PORT`) on stdout, and returns it.
    pub async fn start(binary: &str, env: &[(&str, &str)], marker: &str) -> App {
        let mut command = Command::new(binary);
        command
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("the example binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut banner = Vec::new();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let line = lines
                    .next_line()
                    .await
                    .expect("stdout readable")
                    .expect("the app exited before it was ready");
                banner.push(line.clone());
                if let Some(rest) = line.split(marker).nth(1) {
                    let url = rest.trim().split_whitespace().next().unwrap_or_default();
                    if url.starts_with("http://127.0.0.1:") {
                        return url.trim_end_matches('/').to_owned();
                    }
                }
            }
        })
        .await
        .expect("the app printed its address within 60 s");
        // Keep draining stdout so the app never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        App { child, base, banner }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
