//! More work than the app can do: a full hashing queue, a half-sent request.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_hashing_queue_register_and_login_answer_503_at_once() {
    let demo = Demo::start(&[("AUTH_DEMO_HASH_QUEUE", "0")]).await;
    let bodies = (0..50)
        .map(|_| json!({"username": unique("queue"), "password": PASSWORD}))
        .collect();
    let started = Instant::now();
    let outcomes = burst(&demo.http, demo.url("/auth/register"), bodies).await;
    let elapsed = started.elapsed();
    let refused: Vec<&Outcome> = outcomes.iter().filter(|o| o.status == 503).collect();
    assert!(
        !refused.is_empty(),
        "with no queue, most of 50 simultaneous hashes must be refused: {outcomes:?}"
    );
    for outcome in &refused {
        assert_eq!(outcome.body["error"], "temporarily_unavailable");
        assert!(outcome.retry_after.is_some(), "{outcome:?}");
    }
    assert!(
        outcomes.iter().all(|o| o.status == 201 || o.status == 503),
        "{outcomes:?}"
    );
    assert!(outcomes.iter().any(|o| o.status == 201));
    // Not a timing assertion on the app: only a guard that nothing queued.
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");

    // Login goes through the same bounded queue.
    let logins = (0..50)
        .map(|_| json!({"username": unique("nobody"), "password": WRONG}))
        .collect();
    let attacker = demo.client_from(own_loopback_address());
    let outcomes = burst(&attacker, demo.url("/auth/login"), logins).await;
    assert!(
        outcomes.iter().any(|o| o.status == 503),
        "login past the queue: {outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_head_is_cut_off_while_the_app_keeps_answering() {
    let demo = Demo::start(&[]).await;
    let address = demo.url("").trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    let opened = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    // Meanwhile a new connection is served at once.
    let health = demo.http.get(demo.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(15), slow.read(&mut buffer)).await;
    let closed_after = opened.elapsed();
    match read {
        Ok(Ok(0) | Err(_)) => {}
        Ok(Ok(n)) => panic!(
            "expected the connection closed, got {:?}",
            String::from_utf8_lossy(&buffer[..n])
        ),
        Err(_) => panic!("the half-open connection was still open after 15 s"),
    }
    assert!(
        closed_after >= Duration::from_secs(9),
        "closed by the head timeout, not at once: {closed_after:?}"
    );
    let health = demo.http.get(demo.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}
