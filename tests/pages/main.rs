//! auth-demo over HTTP: the server-rendered pages in cookie mode
//! (its README, "HTML pages").
// End-to-end tests: a failed step panics, which is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

use support::{Demo, cookie_value, set_cookie, unique};

const PASSWORD: &str = "correct horse battery staple";
const ORIGIN: &str = "http://localhost:3000";

async fn form_login(demo: &Demo, username: &str, password: &str) -> reqwest::Response {
    demo.http
        .post(demo.url("/login"))
        .header("origin", ORIGIN)
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn cookies(access: &str, refresh: &str) -> String {
    format!("__Host-access={access}; __Host-refresh={refresh}")
}

#[tokio::test]
async fn login_form_sets_both_cookies_and_redirects_to_account() {
    let demo = Demo::start(&[]).await;
    let name = unique("page");
    demo.register(&name, PASSWORD).await;

    let page = demo.http.get(demo.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"name="username""#) && html.contains(r#"name="password""#));

    let response = form_login(&demo, &name, PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/account");
    let access = set_cookie(&response, "__Host-access").expect("access cookie");
    let refresh = set_cookie(&response, "__Host-refresh").expect("refresh cookie");
    for cookie in [&access, &refresh] {
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(
                cookie.contains(attribute),
                "{attribute} missing in {cookie}"
            );
        }
    }
    let account = demo
        .http
        .get(demo.url("/account"))
        .header(
            "cookie",
            cookies(cookie_value(&access), cookie_value(&refresh)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
    assert!(account.text().await.unwrap().contains(&name));
}

#[tokio::test]
async fn wrong_password_shows_the_form_again_with_401() {
    let demo = Demo::start(&[]).await;
    let name = unique("page");
    demo.register(&name, PASSWORD).await;
    let response = form_login(&demo, &name, "wrong password").await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"name="password""#)
    );
}

#[tokio::test]
async fn pages_without_a_login_redirect_and_cross_site_posts_are_refused() {
    let demo = Demo::start(&[]).await;
    let account = demo.http.get(demo.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), 303);
    assert_eq!(account.headers()["location"], "/login");

    let cross = demo
        .http
        .post(demo.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("username", "a"), ("password", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    for path in ["/", "/login", "/mfa"] {
        assert_eq!(
            demo.http.get(demo.url(path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_missing_access_cookie_is_refreshed_transparently() {
    let demo = Demo::start(&[]).await;
    let name = unique("page");
    demo.register(&name, PASSWORD).await;
    let login = form_login(&demo, &name, PASSWORD).await;
    let refresh = cookie_value(&set_cookie(&login, "__Host-refresh").unwrap()).to_owned();

    // Only the refresh cookie: the access cookie has expired and the browser dropped it.
    let account = demo
        .http
        .get(demo.url("/account"))
        .header("cookie", format!("__Host-refresh={refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
    let new_access = set_cookie(&account, "__Host-access").expect("a new access cookie");
    let new_refresh = set_cookie(&account, "__Host-refresh").expect("a new refresh cookie");
    assert_ne!(cookie_value(&new_refresh), refresh, "rotated");
    assert!(!cookie_value(&new_access).is_empty());
    assert!(account.text().await.unwrap().contains(&name));
}

#[tokio::test]
async fn logout_page_revokes_and_clears_both_cookies() {
    let demo = Demo::start(&[]).await;
    let name = unique("page");
    demo.register(&name, PASSWORD).await;
    let login = form_login(&demo, &name, PASSWORD).await;
    let access = cookie_value(&set_cookie(&login, "__Host-access").unwrap()).to_owned();
    let refresh = cookie_value(&set_cookie(&login, "__Host-refresh").unwrap()).to_owned();

    let logout = demo
        .http
        .post(demo.url("/logout"))
        .header("origin", ORIGIN)
        .header("cookie", cookies(&access, &refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    assert_eq!(logout.headers()["location"], "/login");
    for name in ["__Host-access", "__Host-refresh"] {
        let cleared = set_cookie(&logout, name).unwrap_or_else(|| panic!("{name} cleared"));
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
    }
    // The session is gone: the old cookies no longer open the account page.
    let account = demo
        .http
        .get(demo.url("/account"))
        .header("cookie", cookies(&access, &refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 303);
    assert_eq!(demo.get_bearer("/api/me", &access).await.status(), 401);
}
