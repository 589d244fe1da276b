//! The `auth` command with the running `auth-demo`: a token the command
//! mints from the demo's key folder (`AUTH_DEMO_KEY_DIR`) is accepted by the
//! demo, and a token the demo issues is inspected and verified by the
//! command against the demo's `/.well-known/jwks.json` (plain http to
//! 127.0.0.1, which auth-core's remote key fetching allows for loopback
//! addresses only).
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

use support::{Demo, unique};

/// What the demo writes into its tokens by default (`AUTH_DEMO_ISSUER`,
/// `AUTH_DEMO_AUDIENCE`).
const DEMO_ISSUER: &str = "http://localhost:3000";
const DEMO_AUDIENCE: &str = "auth-demo";
const PASSWORD: &str = "correct horse battery staple";

/// What one run of `auth` did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `auth args...` (nothing on standard input).
async fn auth(args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_e2e-auth"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("auth runs");
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

impl Run {
    #[track_caller]
    fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "{self:#?}");
        &self.stdout
    }

    #[track_caller]
    fn fails(&self) -> &str {
        assert_eq!(self.code, 1, "{self:#?}");
        let line = self.stderr.trim_end();
        assert!(
            line.starts_with("error: ") && !line.contains('\n'),
            "{self:#?}"
        );
        line
    }
}

#[tokio::test]
async fn the_demo_accepts_a_token_the_command_mints_from_its_key_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    let dir = dir.to_str().unwrap();
    auth(&["keys", "generate", "--alg", "ES256", "--dir", dir])
        .await
        .ok();
    let env = [("AUTH_DEMO_KEY_DIR", dir), ("AUTH_DEMO_ALG", "ES256")];
    let demo = Demo::start(&env).await;

    // The demo publishes the folder's keys, as `auth jwks` prints them.
    let published: serde_json::Value = demo
        .http
        .get(demo.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let printed: serde_json::Value =
        serde_json::from_str(auth(&["jwks", "--dir", dir]).await.ok()).unwrap();
    assert_eq!(published, printed);

    let name = unique("cli");
    let minted = auth(&[
        "token",
        "mint",
        "--dir",
        dir,
        "--sub",
        "cli-user-1",
        "--iss",
        DEMO_ISSUER,
        "--aud",
        DEMO_AUDIENCE,
        "--username",
        &name,
        "--roles",
        "admin",
        "--amr",
        "pwd,mfa",
        "--ttl",
        "15m",
    ])
    .await;
    let token = minted.ok().trim_end().to_owned();
    let response = demo.get_bearer("/api/me", &token).await;
    assert_eq!(response.status(), 200);
    let me: serde_json::Value = response.json().await.unwrap();
    assert_eq!(me["sub"], "cli-user-1", "{me}");
    assert_eq!(me["username"], name.as_str(), "{me}");
    assert_eq!(me["roles"], serde_json::json!(["admin"]), "{me}");
    assert_eq!(me["amr"], serde_json::json!(["pwd", "mfa"]), "{me}");

    // A token from another folder, or for another audience, is refused.
    let other = tmp.path().join("other");
    let other = other.to_str().unwrap();
    auth(&["keys", "generate", "--alg", "ES256", "--dir", other])
        .await
        .ok();
    for (dir, aud) in [(other, DEMO_AUDIENCE), (dir, "another-api")] {
        let token = auth(&[
            "token",
            "mint",
            "--dir",
            dir,
            "--sub",
            "cli-user-1",
            "--iss",
            DEMO_ISSUER,
            "--aud",
            aud,
        ])
        .await;
        let response = demo.get_bearer("/api/me", token.ok().trim_end()).await;
        assert_eq!(response.status(), 401, "{dir} {aud}");
    }

    // After a rotation by the command, the restarted demo signs with the new
    // key and still accepts the token the old key signed.
    demo.stop().await;
    let rotated = auth(&["--json", "keys", "rotate", "--dir", dir]).await;
    let rotated: serde_json::Value = serde_json::from_str(rotated.ok()).unwrap();
    let demo = Demo::start(&env).await;
    assert_eq!(demo.get_bearer("/api/me", &token).await.status(), 200);
    let user = unique("rot");
    demo.register(&user, PASSWORD).await;
    let session = demo.login(&user, PASSWORD).await;
    let inspected = auth(&["--json", "token", "inspect", &session.access]).await;
    let inspected: serde_json::Value = serde_json::from_str(inspected.ok()).unwrap();
    assert_eq!(inspected["header"]["kid"], rotated["active"]["kid"]);
}

#[tokio::test]
async fn the_command_verifies_a_token_the_demo_issued_against_its_jwks_url() {
    let demo = Demo::start(&[]).await;
    let name = unique("cli");
    let user_id = demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;
    let jwks_url = demo.url("/.well-known/jwks.json");

    let inspected = auth(&["--json", "token", "inspect", &session.access]).await;
    let inspected: serde_json::Value = serde_json::from_str(inspected.ok()).unwrap();
    assert_eq!(inspected["verified"], false);
    assert_eq!(inspected["header"]["typ"], "at+jwt");
    assert_eq!(inspected["claims"]["sub"], user_id.as_str());
    assert_eq!(inspected["claims"]["preferred_username"], name.as_str());

    let verify = |aud: &'static str| {
        let token = session.access.clone();
        let url = jwks_url.clone();
        async move {
            auth(&[
                "token",
                "verify",
                &token,
                "--jwks-url",
                &url,
                "--iss",
                DEMO_ISSUER,
                "--aud",
                aud,
            ])
            .await
        }
    };
    let verified = verify(DEMO_AUDIENCE).await;
    let text = verified.ok();
    assert!(
        text.starts_with("valid: every check passed (keys: JWK Set http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains(&format!("subject: {user_id}")), "{text}");

    // The wrong audience: refused by the same verifier, at the audience check.
    let refused = verify("another-api").await;
    assert!(
        refused
            .fails()
            .contains("the audience check (wrong_audience)"),
        "{refused:?}"
    );
    assert!(refused.stdout.contains("FAILED  audience"), "{refused:?}");

    // An unreachable JWK Set URL: one line naming it, exit 1.
    let port = demo.app.base.rsplit(':').next().unwrap().to_owned();
    demo.stop().await;
    let gone = verify(DEMO_AUDIENCE).await;
    let line = gone.fails();
    assert!(line.contains(&port), "names the URL: {line}");
    assert!(!line.contains(&session.access), "never the token: {line}");
}
