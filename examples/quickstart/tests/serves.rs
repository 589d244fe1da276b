//! The quickstart, run as its own binary: the printed token opens `/me`.
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// The quickstart, started on a free port; killed when dropped.
struct Quickstart {
    _child: Child,
    base: String,
    token: String,
}

impl Quickstart {
    /// Starts the binary and reads the sample token and the address it prints.
    async fn start() -> Quickstart {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quickstart"))
            .env("QUICKSTART_ADDR", "127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the quickstart starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let (mut token, mut base) = (None, None);
        tokio::time::timeout(Duration::from_secs(60), async {
            // The token line comes before the address line.
            while base.is_none() {
                let line = lines.next_line().await.unwrap().expect("it serves");
                if let Some(sample) = line.strip_prefix("sample access token: ") {
                    token = Some(sample.to_owned());
                }
                if let Some(url) = line.strip_prefix("listening on ") {
                    base = Some(url.trim_end_matches('/').to_owned());
                }
            }
        })
        .await
        .expect("the quickstart printed its address within 60 s");
        Quickstart {
            _child: child,
            base: base.unwrap_or_default(),
            token: token.expect("a sample token before the address"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

#[tokio::test]
async fn quickstart_serves_me_with_the_printed_token() {
    let app = Quickstart::start().await;
    let token = app.token.clone();
    let client = reqwest::Client::new();

    let ok = client
        .get(app.url("/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("hello user-1"));

    let missing = client.get(app.url("/me")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing.headers()["www-authenticate"],
        r#"Bearer realm="quickstart""#
    );

    let forged = client
        .get(app.url("/me"))
        .bearer_auth(format!("{token}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert!(
        forged.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );

    let mfa = client
        .get(app.url("/billing"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        mfa.status(),
        401,
        "RFC 9470 §3: step up by authenticating again"
    );
    let admin = client
        .get(app.url("/admin"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 403);
}
