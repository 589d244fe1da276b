//! What an account change needs: a recent login, and room (at most 100 API keys).

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_changes_need_a_recent_login() {
    let demo = Demo::start(&[("AUTH_DEMO_STEP_UP_MAX_AGE", "2")]).await;
    let name = unique("stepup");
    demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;
    let key = demo
        .post_json_bearer("/auth/api-keys", &session.access, json!({"name": "ci"}))
        .await;
    assert_eq!(key.status(), 201, "fresh from a login");
    assert_eq!(
        demo.get_bearer("/api/recent", &session.access)
            .await
            .status(),
        200
    );

    tokio::time::sleep(Duration::from_millis(3100)).await;
    // A refresh keeps the login's `auth_time`: it does not make it recent.
    let refreshed = Session::from_token_response(demo.refresh(&session.refresh).await).await;
    for token in [&session.access, &refreshed.access] {
        for (path, body) in [
            ("/auth/api-keys", Some(json!({"name": "stolen"}))),
            ("/auth/mfa/totp/enroll", None),
            ("/auth/mfa/totp/confirm", Some(json!({"code": "123456"}))),
        ] {
            let response = match body {
                Some(body) => demo.post_json_bearer(path, token, body).await,
                None => demo.post_bearer(path, token).await,
            };
            assert_eq!(response.status(), 401, "{path}");
            let challenge = challenge(&response);
            assert!(
                challenge.contains(r#"error="insufficient_user_authentication""#)
                    && challenge.ends_with("max_age=2"),
                "{path}: {challenge}"
            );
        }
        let recent = demo.get_bearer("/api/recent", token).await;
        assert_eq!(recent.status(), 401);
        assert!(challenge(&recent).contains("max_age=2"));
        // Reading is not an account change.
        assert_eq!(demo.get_bearer("/api/me", token).await.status(), 200);
    }
    let again = demo.login(&name, PASSWORD).await;
    let key = demo
        .post_json_bearer("/auth/api-keys", &again.access, json!({"name": "ci"}))
        .await;
    assert_eq!(key.status(), 201, "a new login is recent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_holds_at_most_a_hundred_api_keys_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
        let name = unique("keys");
        demo.register(&name, PASSWORD).await;
        let session = demo.login(&name, PASSWORD).await;
        let client = reqwest::Client::new();
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(110));
        let tasks: Vec<_> = (0..110)
            .map(|i| {
                let (client, url, token, barrier) = (
                    client.clone(),
                    demo.url("/auth/api-keys"),
                    session.access.clone(),
                    barrier.clone(),
                );
                tokio::spawn(async move {
                    barrier.wait().await;
                    let response = client
                        .post(url)
                        .bearer_auth(token)
                        .json(&json!({"name": format!("key {i}")}))
                        .send()
                        .await
                        .unwrap();
                    Outcome::of(response).await
                })
            })
            .collect();
        let mut created = Vec::new();
        for task in tasks {
            let outcome = task.await.unwrap();
            match outcome.status {
                201 => created.push(outcome.body["id"].as_str().unwrap().to_owned()),
                409 => assert_eq!(outcome.body["error"], "too_many_api_keys", "{store}"),
                _ => panic!("{store}: {outcome:?}"),
            }
        }
        assert_eq!(created.len(), 100, "{store}");
        // Deleting one frees a place.
        let deleted = demo
            .http
            .delete(demo.url(&format!("/auth/api-keys/{}", created[0])))
            .bearer_auth(&session.access)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 204, "{store}");
        let one_more = demo
            .post_json_bearer("/auth/api-keys", &session.access, json!({"name": "last"}))
            .await;
        assert_eq!(one_more.status(), 201, "{store}");
        demo.stop().await;
    }
}
