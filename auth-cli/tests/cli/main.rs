//! The `auth` binary run as a process: every subcommand's happy path, its
//! main errors (exit codes, one line on stderr, never a panic), and the
//! generate → jwks → mint → verify round trip for each algorithm.
// A failed step is a failed test: panicking on it is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod keys;
mod password;
mod token;
mod totp;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// What one run of `auth` did.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `auth args...` with nothing on standard input.
pub(crate) fn auth(args: &[&str]) -> Run {
    auth_with_stdin(args, None)
}

/// Runs `auth args...` with `stdin` piped in.
pub(crate) fn auth_stdin(args: &[&str], stdin: &str) -> Run {
    auth_with_stdin(args, Some(stdin))
}

fn auth_with_stdin(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("auth starts");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(text.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

impl Run {
    /// Asserts success with nothing on stderr; returns stdout.
    #[track_caller]
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "{self:#?}");
        assert!(self.stderr.is_empty(), "{self:#?}");
        &self.stdout
    }

    /// Asserts success and parses stdout as one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).expect("one JSON document")
    }

    /// Asserts exit code `code` and one `error: ...` line on stderr, without
    /// a panic or a backtrace; returns that line.
    #[track_caller]
    pub(crate) fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "{self:#?}");
        let line = self.stderr.strip_suffix('\n').unwrap_or(&self.stderr);
        assert!(!line.contains('\n'), "one line: {self:#?}");
        assert!(line.starts_with("error: "), "{self:#?}");
        assert!(!line.contains("panicked"), "{self:#?}");
        assert!(!line.contains("backtrace"), "{self:#?}");
        line
    }
}

/// A new key folder of `alg` in `parent`; returns its path as text.
pub(crate) fn key_folder(parent: &Path, name: &str, alg: &str) -> String {
    let dir = parent.join(name);
    let dir = dir.to_str().unwrap().to_owned();
    auth(&["keys", "generate", "--alg", alg, "--dir", &dir]).ok();
    dir
}

/// Every subcommand answers `--help` with its usage, exit code 0.
#[test]
fn every_subcommand_has_help() {
    let commands: [&[&str]; 16] = [
        &[],
        &["keys"],
        &["keys", "generate"],
        &["keys", "rotate"],
        &["keys", "retire"],
        &["keys", "list"],
        &["jwks"],
        &["token"],
        &["token", "mint"],
        &["token", "inspect"],
        &["token", "verify"],
        &["password"],
        &["password", "hash"],
        &["password", "verify"],
        &["totp"],
        &["totp", "new"],
    ];
    for command in commands.iter().chain([&["totp", "code"][..]].iter()) {
        let mut args = command.to_vec();
        args.push("--help");
        let out = auth(&args);
        assert!(out.ok().contains("Usage: auth"), "{args:?}: {out:#?}");
    }
}

/// Usage errors are clap's exit code 2, on one line.
#[test]
fn usage_errors_exit_2_on_one_line() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["keys", "generate", "--dir", "x"],
        &["keys", "generate", "--alg", "none", "--dir", "x"],
        &[
            "token", "mint", "--dir", "x", "--sub", "u", "--aud", "a", "--iss", "i", "--ttl",
            "forever",
        ],
        &["token", "verify", "t", "--iss", "i", "--aud", "a"],
        &[
            "token",
            "verify",
            "t",
            "--iss",
            "i",
            "--aud",
            "a",
            "--dir",
            "d",
            "--jwks-url",
            "u",
        ],
        &[
            "token", "verify", "t", "--iss", "i", "--aud", "a", "--dir", "d", "--leeway", "3600",
        ],
        // A password is never an argument.
        &["password", "hash", "hunter2hunter2"],
    ] {
        let out = auth(args);
        let line = out.fails(2);
        assert!(line.contains("--help"), "{args:?}: {line}");
    }
}

#[test]
fn version_is_printed() {
    assert!(auth(&["--version"]).ok().starts_with("auth "));
}
