//! The quickstart, run as its own binary: the printed token opens `/me`.
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use support::App;

#[tokio::test]
async fn quickstart_serves_me_with_the_printed_token() {
    let app = App::start(
        env!("CARGO_BIN_EXE_quickstart"),
        &[("QUICKSTART_ADDR", "127.0.0.1:0")],
        "listening on",
    )
    .await;
    // The token line comes before the address line.
    let token = app
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("sample access token: "))
        .expect("the quickstart printed a sample token before serving")
        .to_owned();
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
