//! The security events in the JSON log: one per decision, no secrets.

use super::*;

/// The security events of one JSON log line, as `(event, line)`.
fn events(lines: &[String]) -> Vec<(String, Value)> {
    lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|value| Some((value.get("event")?.as_str()?.to_owned(), value)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_events_are_logged_as_json_without_secrets() {
    let demo = Demo::start_logging(&[
        ("AUTH_DEMO_LOG_FORMAT", "json"),
        ("RUST_LOG", "info"),
        ("AUTH_DEMO_REFRESH_REUSE_INTERVAL", "0"),
    ])
    .await;
    let ip: IpAddr = own_loopback_address();
    let client = demo.client_from(ip);
    let name = unique("events");
    let user_id = demo.register(&name, PASSWORD).await;
    let login = |password: &'static str| {
        client
            .post(demo.url("/auth/login"))
            .json(&json!({"username": name, "password": password}))
            .send()
    };
    assert_eq!(login(WRONG).await.unwrap().status(), 401);
    let session = Session::from_token_response(login(PASSWORD).await.unwrap()).await;
    let second = Session::from_token_response(login(PASSWORD).await.unwrap()).await;
    let key: Value = demo
        .post_json_bearer("/auth/api-keys", &session.access, json!({"name": "ci"}))
        .await
        .json()
        .await
        .unwrap();
    let deleted = demo
        .http
        .delete(demo.url(&format!("/auth/api-keys/{}", key["id"].as_str().unwrap())))
        .bearer_auth(&session.access)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let secret = with_totp_for(&demo, &session).await;
    let rotated = Session::from_token_response(demo.refresh(&session.refresh).await).await;
    assert_eq!(demo.refresh(&session.refresh).await.status(), 401, "reuse");
    let other = demo
        .post_json(
            "/auth/login",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    let mfa_token = other.json::<Value>().await.unwrap()["mfa_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = demo
        .post_json(
            "/auth/mfa/verify",
            json!({"mfa_token": mfa_token, "code": "000000"}),
        )
        .await;
    assert!(failed.status() == 401 || totp_at(&secret, 0) == "000000");
    let fresh = demo
        .post_json(
            "/auth/mfa/verify",
            json!({"mfa_token": mfa_token, "code": totp_at(&secret, 30)}),
        )
        .await;
    let fresh = Session::from_token_response(fresh).await;
    assert_eq!(
        demo.post_bearer("/auth/logout", &fresh.access)
            .await
            .status(),
        204
    );
    assert_eq!(
        demo.post_bearer("/auth/logout-all", &second.access)
            .await
            .status(),
        204
    );
    for _ in 0..LIMIT {
        let _ = login(WRONG).await;
    }
    assert_eq!(login(WRONG).await.unwrap().status(), 429);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = demo.logs();
    let found = events(&lines);
    let with = |name: &'static str| found.iter().filter(move |(event, _)| event == name);
    for name in [
        "user.registered",
        "login.failed",
        "login.succeeded",
        "login.throttled",
        "mfa.failed",
        "refresh.reused",
        "logout",
        "logout_all",
        "api_key.created",
        "api_key.deleted",
        "totp.enrolled",
    ] {
        assert!(with(name).next().is_some(), "no {name} event in {lines:#?}");
    }
    for name in [
        "login.succeeded",
        "api_key.created",
        "logout_all",
        "totp.enrolled",
    ] {
        assert!(
            with(name).any(|(_, line)| line["user"] == user_id.as_str()),
            "{name} names the user"
        );
    }
    assert!(
        with("login.failed").any(|(_, line)| line["client_ip"] == ip.to_string().as_str()),
        "login.failed names the client address"
    );
    for (_, line) in &found {
        assert!(line.get("timestamp").is_some() && line.get("level").is_some());
    }
    // No secret anywhere in the log.
    let everything = lines.join("\n");
    for secret_text in [
        PASSWORD,
        WRONG,
        session.access.as_str(),
        session.refresh.as_str(),
        rotated.refresh.as_str(),
        secret.as_str(),
        mfa_token.as_str(),
        key["key"].as_str().unwrap(),
    ] {
        assert!(
            !everything.contains(secret_text),
            "a secret reached the log"
        );
    }
}
