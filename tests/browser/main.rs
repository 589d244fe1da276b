//! auth-demo's pages in a real browser: headless Chromium driven over
//! WebDriver as a person uses it — it opens pages, types into fields and
//! clicks buttons. No header is set by hand: `Origin`, `Sec-Fetch-Site`,
//! cookies and redirects are whatever Chromium does with what the app sends.
//!
//! The app runs with its own origin `http://localhost:PORT`, which a browser
//! treats as a secure context, so it keeps the `Secure` `__Host-` cookies
//! over plain HTTP. Needs Debian's `chromium` and `chromium-driver`; without
//! them the tests are skipped with one line, unless
//! `AUTH_TEST_REQUIRE_SERVICES=1` (CI, which installs them) makes that a failure.
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod chromium;
#[path = "../support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use chromium::Browser;
use support::{Demo, Session, claims, free_port, own_loopback_address, totp_at, unique};

const PASSWORD: &str = "correct horse battery staple";

/// auth-demo on a port chosen here, its issuer (and so its own origin)
/// `http://localhost:PORT`.
async fn demo(env: &[(&str, &str)]) -> (Demo, String) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let origin = format!("http://localhost:{port}");
    let mut all = vec![
        ("AUTH_DEMO_ADDR", addr.as_str()),
        ("AUTH_DEMO_ISSUER", origin.as_str()),
    ];
    all.extend_from_slice(env);
    let demo = Demo::start(&all).await;
    (demo, origin)
}

/// Waits until the browser shows `path` (a form post and its redirect may
/// still be under way when a click returns).
async fn wait_for_path(browser: &Browser, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = browser.path().await;
        if shown == path {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the browser shows {shown}, not {path}:\n{}",
            browser.page_text().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs a new user up through `/register`; the browser ends on `/account`.
async fn sign_up(browser: &Browser, origin: &str, name: &str) {
    browser.open(&format!("{origin}/")).await;
    browser.click("a[href='/register']").await;
    wait_for_path(browser, "/register").await;
    browser.type_into("input[name=username]", name).await;
    browser.type_into("input[name=password]", PASSWORD).await;
    browser.click_button("Create account").await;
    wait_for_path(browser, "/account").await;
    assert!(browser.page_text().await.contains(name));
}

/// Waits until the page shows `text` (a script may still be at work).
async fn wait_for_text(browser: &Browser, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = browser.page_text().await;
        if shown.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the page at {} does not show {text:?}:\n{shown}",
            browser.path().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs out from `/account` with the page's own "Sign out" (the list of
/// sessions has one per session too); the browser ends on `/login`.
async fn sign_out(browser: &Browser) {
    browser.click("form[action='/logout'] button").await;
    wait_for_path(browser, "/login").await;
}

/// The password step on `/login`.
async fn sign_in_with_password(browser: &Browser, name: &str) {
    browser.type_into("input[name=username]", name).await;
    browser.type_into("input[name=password]", PASSWORD).await;
    browser.click_button("Sign in").await;
}

#[tokio::test]
async fn a_person_signs_up_turns_on_two_step_sign_in_adds_a_passkey_and_signs_in_every_way() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    // The device's own authenticator: a fingerprint reader that always
    // recognises its owner.
    browser.add_platform_authenticator().await;
    let (_demo, origin) = demo(&[]).await;
    let name = unique("browser");
    sign_up(&browser, &origin, &name).await;

    // Turn on TOTP: read the key the page shows, as a person would type it
    // into an authenticator app.
    browser.click_button("Set up an authenticator app").await;
    let key = browser.text_of("p.note code").await.replace(' ', "");
    browser
        .type_into("input[name=code]", &totp_at(&key, 0))
        .await;
    browser.click_button("Turn on two-step sign-in").await;
    wait_for_text(&browser, "Two-step sign-in is on").await;
    let codes = browser.text_of("ol.codes").await;
    assert_eq!(codes.lines().count(), 10, "{codes}");

    // Add a passkey: the page's script runs the ceremony with the device.
    browser.click("a[href='/account']").await;
    wait_for_path(&browser, "/account").await;
    assert!(browser.page_text().await.contains("No passkey yet"));
    browser.type_into("#passkey-name", "This laptop").await;
    browser.click_button("Add a passkey").await;
    wait_for_text(&browser, "This laptop").await;
    assert!(browser.page_text().await.contains("never used"));
    sign_out(&browser).await;

    // Sign in with the passkey alone: no username, no code.
    browser.click_button("Sign in with a passkey").await;
    wait_for_path(&browser, "/account").await;
    let account = browser.page_text().await;
    assert!(account.contains(&name), "{account}");
    assert!(account.contains("hwk, user, mfa"), "{account}");
    assert!(account.contains("last used"), "{account}");
    sign_out(&browser).await;

    // The password, then the passkey as the second step.
    sign_in_with_password(&browser, &name).await;
    wait_for_path(&browser, "/mfa").await;
    browser.click_button("Use a passkey").await;
    wait_for_path(&browser, "/account").await;
    let account = browser.page_text().await;
    assert!(account.contains("pwd, hwk, mfa"), "{account}");
    sign_out(&browser).await;

    // The password, then the code of the next step (this step's was used).
    sign_in_with_password(&browser, &name).await;
    wait_for_path(&browser, "/mfa").await;
    browser
        .type_into("input[name=code]", &totp_at(&key, 30))
        .await;
    browser.click_button("Continue").await;
    wait_for_path(&browser, "/account").await;
    let account = browser.page_text().await;
    assert!(account.contains(&name), "{account}");
    assert!(
        account.contains("pwd, otp, mfa"),
        "signed in with two factors: {account}"
    );

    // Delete the passkey: it signs in no more.
    browser.click_button("Delete").await;
    wait_for_text(&browser, "No passkey yet").await;
    sign_out(&browser).await;
    browser.click_button("Sign in with a passkey").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        let status = browser.text_of("#passkey-status").await;
        if !status.is_empty() && !status.contains("Waiting") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the sign-in did not end: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(refused.contains("not accepted"), "{refused}");
    assert_eq!(browser.path().await, "/login");

    browser.open(&format!("{origin}/account")).await;
    wait_for_path(&browser, "/login").await;
    browser.close().await;
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (_demo, origin) = demo(&[]).await;
    let name = unique("browser-wrong");
    sign_up(&browser, &origin, &name).await;
    browser.click_button("Sign out").await;
    wait_for_path(&browser, "/login").await;
    browser.type_into("input[name=username]", &name).await;
    browser
        .type_into("input[name=password]", "not the password")
        .await;
    browser.click_button("Sign in").await;
    wait_for_path(&browser, "/login").await;
    assert!(
        browser
            .page_text()
            .await
            .contains("Wrong username or password.")
    );
    // A taken name on the sign-up form says so.
    browser.open(&format!("{origin}/register")).await;
    browser.type_into("input[name=username]", &name).await;
    browser.type_into("input[name=password]", PASSWORD).await;
    browser.click_button("Create account").await;
    wait_for_path(&browser, "/register").await;
    assert!(browser.page_text().await.contains("That username is taken"));
    browser.close().await;
}

#[tokio::test]
async fn a_person_sees_where_they_are_signed_in_and_signs_another_device_out() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (demo, origin) = demo(&[]).await;
    let name = unique("browser-devices");
    sign_up(&browser, &origin, &name).await;
    let own_sid = browser_sid(&browser).await;

    // The same person signs in on their phone (another address, another
    // browser).
    let phone_ip = own_loopback_address();
    let response = demo
        .client_from(phone_ip)
        .post(demo.url("/auth/login"))
        .header("user-agent", "Phone/1.0 (Android 15)")
        .json(&serde_json::json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let phone = Session::from_token_response(response).await;
    let phone_sid = claims(&phone.access)["sid"].as_str().unwrap().to_owned();

    browser.open(&format!("{origin}/account")).await;
    wait_for_text(&browser, "Where you're signed in").await;
    let own_entry = browser
        .text_of(&format!("li[data-session='{own_sid}']"))
        .await;
    assert!(own_entry.contains("This device"), "{own_entry}");
    assert!(
        own_entry.contains("Chrome"),
        "the browser's own user agent: {own_entry}"
    );
    assert!(own_entry.contains("127.0.0.1"), "{own_entry}");
    let phone_entry = browser
        .text_of(&format!("li[data-session='{phone_sid}']"))
        .await;
    assert!(
        phone_entry.contains("Phone/1.0 (Android 15)"),
        "{phone_entry}"
    );
    assert!(phone_entry.contains(&phone_ip.to_string()), "{phone_entry}");
    assert!(!phone_entry.contains("This device"), "{phone_entry}");

    // "Sign out" on the phone's entry: the phone is signed out, this
    // browser is not.
    browser
        .click(&format!("li[data-session='{phone_sid}'] button"))
        .await;
    wait_for_path(&browser, "/account").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while browser.page_text().await.contains("Phone/1.0") {
        assert!(
            Instant::now() < deadline,
            "the phone's session is still listed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(browser.page_text().await.contains("This device"));
    assert_eq!(demo.refresh(&phone.refresh).await.status(), 401);
    assert_eq!(
        demo.get_bearer("/api/me", &phone.access).await.status(),
        401
    );

    // "Sign out" on this device's own entry signs this browser out.
    browser
        .click(&format!("li[data-session='{own_sid}'] button"))
        .await;
    wait_for_path(&browser, "/login").await;
    browser.open(&format!("{origin}/account")).await;
    wait_for_path(&browser, "/login").await;
    browser.close().await;
}

/// The `sid` of the session the browser is signed in with.
async fn browser_sid(browser: &Browser) -> String {
    let access = browser
        .cookie("__Host-access")
        .await
        .expect("an access cookie");
    claims(&access)["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_page_left_open_past_the_access_ttl_is_refreshed_on_the_next_load() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    // Access tokens of 2 s; verifiers allow 30 s of clock leeway.
    let (_demo, origin) = demo(&[("AUTH_DEMO_ACCESS_TTL", "2")]).await;
    let name = unique("browser-ttl");
    sign_up(&browser, &origin, &name).await;
    let access = browser
        .cookie("__Host-access")
        .await
        .expect("an access cookie");
    let refresh = browser
        .cookie("__Host-refresh")
        .await
        .expect("a refresh cookie");

    tokio::time::sleep(Duration::from_secs(2 + 30 + 2)).await;
    browser.open(&format!("{origin}/account")).await;
    wait_for_path(&browser, "/account").await;
    assert!(browser.page_text().await.contains(&name));
    let new_access = browser
        .cookie("__Host-access")
        .await
        .expect("an access cookie");
    let new_refresh = browser
        .cookie("__Host-refresh")
        .await
        .expect("a refresh cookie");
    assert_ne!(new_access, access, "a new access token");
    assert_ne!(new_refresh, refresh, "the refresh token rotated");
    browser.close().await;
}

/// A page of another site with a form aimed at the app's `/login`; under
/// `/no-referrer` the same page with `Referrer-Policy: no-referrer`, so the
/// browser sends `Origin: null`.
async fn foreign_site(target: &str) -> String {
    let form = format!(
        "<!doctype html><title>elsewhere</title>\
         <form method=\"post\" action=\"{target}/login\">\
         <input name=\"username\"><input name=\"password\" type=\"password\">\
         <button type=\"submit\">Sign in there</button></form>"
    );
    let plain = form.clone();
    let app = Router::new()
        .route("/", get(move || async move { Html(plain) }))
        .route(
            "/no-referrer",
            get(move || async move { ([("referrer-policy", "no-referrer")], Html(form)) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (demo, origin) = demo(&[]).await;
    let victim = unique("browser-victim");
    sign_up(&browser, &origin, &victim).await;
    // The attacker's account exists: a login CSRF would sign the victim into it.
    let attacker = unique("browser-attacker");
    demo.register(&attacker, PASSWORD).await;
    let foreign = foreign_site(&origin).await;
    for page in ["/", "/no-referrer"] {
        browser.open(&format!("{foreign}{page}")).await;
        browser.type_into("input[name=username]", &attacker).await;
        browser.type_into("input[name=password]", PASSWORD).await;
        browser.click_button("Sign in there").await;
        wait_for_path(&browser, "/login").await;
        let text = browser.page_text().await;
        assert!(
            text.contains("This form can only be sent from this site's own pages."),
            "{page}: {text}"
        );
    }
    // Nothing changed: the victim is still signed in as themselves.
    browser.open(&format!("{origin}/account")).await;
    wait_for_path(&browser, "/account").await;
    assert!(browser.page_text().await.contains(&victim));
    browser.close().await;
}
