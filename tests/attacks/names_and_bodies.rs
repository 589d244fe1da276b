//! Look-alike usernames, bodies that are not objects, one client on two address families.

use super::*;

#[tokio::test]
async fn usernames_are_compared_as_people_read_them() {
    let demo = Demo::start(&[]).await;
    let id = demo.register("Alice", PASSWORD).await;
    for twin in ["alice", "ALICE", "Ａｌｉｃｅ"] {
        let response = demo
            .post_json(
                "/auth/register",
                json!({"username": twin, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 409, "{twin}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "username_taken"
        );
    }
    for refused in [
        "alice\u{200b}",
        "\u{202e}Alice",
        "ada lovelace",
        "",
        "a\u{0}b",
    ] {
        let response = demo
            .post_json(
                "/auth/register",
                json!({"username": refused, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 422, "{refused:?}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_username",
            "{refused:?}"
        );
    }
    for typed in ["alice", "ALICE", "Ａｌｉｃｅ"] {
        let session = demo.login(typed, PASSWORD).await;
        assert_eq!(support::claims(&session.access)["sub"], id.as_str());
    }
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let demo = Demo::start(&[]).await;
    for path in ["/auth/register", "/auth/login"] {
        let response = demo
            .post_json(path, json!([unique("array"), PASSWORD]))
            .await;
        assert_eq!(response.status(), 422, "{path}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_and_json_logins_count_one_dual_stack_client_as_one_address() {
    // On `[::]` an IPv4 client arrives as `::ffff:127.x.y.z`.
    let demo = Demo::start(&[("AUTH_DEMO_ADDR", "[::]:0")]).await;
    let client = demo.client_from(own_loopback_address());
    for attempt in 0..LIMIT {
        let username = unique("nobody");
        let status = if attempt % 2 == 0 {
            client
                .post(demo.url("/login"))
                .form(&[("username", username.as_str()), ("password", WRONG)])
                .send()
                .await
                .unwrap()
                .status()
        } else {
            client
                .post(demo.url("/auth/login"))
                .json(&json!({"username": username, "password": WRONG}))
                .send()
                .await
                .unwrap()
                .status()
        };
        assert_eq!(status, 401, "attempt {attempt}");
    }
    for via_form in [false, true] {
        let username = unique("nobody");
        let request = if via_form {
            client
                .post(demo.url("/login"))
                .form(&[("username", username.as_str()), ("password", WRONG)])
        } else {
            client
                .post(demo.url("/auth/login"))
                .json(&json!({"username": username, "password": WRONG}))
        };
        assert_eq!(
            request.send().await.unwrap().status(),
            429,
            "both routes count the same address (form: {via_form})"
        );
    }
}
