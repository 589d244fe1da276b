//! Bursts against every throttle, on every store: at most the limit is checked.

use super::*;

/// The right password hidden at position 37 of a burst of wrong ones.
fn passwords_with_the_right_one(username: &str) -> Vec<Value> {
    (0..BURST)
        .map(|i| {
            let password = if i == 37 { PASSWORD } else { WRONG };
            json!({"username": username, "password": password})
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_logins_for_one_account_checks_at_most_the_limit_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
        let name = unique("burst");
        demo.register(&name, PASSWORD).await;
        let attacker = demo.client_from(own_loopback_address());
        let outcomes = burst(
            &attacker,
            demo.url("/auth/login"),
            passwords_with_the_right_one(&name),
        )
        .await;
        let checked = checked(store, &outcomes, &[200, 401]);
        assert!(
            checked <= LIMIT,
            "{store}: {checked} of {BURST} simultaneous attempts were checked"
        );
        // Over the limit, the right password gets 429 like any other (unless
        // it was among the attempts checked: then the login succeeded and
        // cleared the account's failures, as any successful login does).
        let guessed = outcomes.iter().any(|o| o.status == 200);
        let after = attacker
            .post(demo.url("/auth/login"))
            .json(&json!({"username": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        if guessed {
            assert!([200, 429].contains(&after.status().as_u16()), "{store}");
        } else {
            assert_eq!(after.status(), 429, "{store}");
        }
        demo.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_from_one_address_over_many_accounts_checks_at_most_the_limit_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
        let attacker = demo.client_from(own_loopback_address());
        let bodies = (0..BURST)
            .map(|_| json!({"username": unique("nobody"), "password": WRONG}))
            .collect();
        let outcomes = burst(&attacker, demo.url("/auth/login"), bodies).await;
        let checked = checked(store, &outcomes, &[401]);
        assert!(
            checked <= LIMIT,
            "{store}: {checked} attempts from one address were checked"
        );
        // Another address is not throttled by this one's failures.
        let name = unique("bystander");
        demo.register(&name, PASSWORD).await;
        let bystander = demo.client_from(own_loopback_address());
        let ok = bystander
            .post(demo.url("/auth/login"))
            .json(&json!({"username": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "{store}");
        demo.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_second_step_codes_checks_at_most_the_limit_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
        let name = unique("mfa-burst");
        let secret = with_totp(&demo, &name).await;
        let challenge = demo
            .post_json(
                "/auth/login",
                json!({"username": name, "password": PASSWORD}),
            )
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(challenge["mfa_required"], true);
        let mfa_token = challenge["mfa_token"].as_str().unwrap().to_owned();
        // The code of the next step: accepted (±1 step), not yet used.
        let right = totp_at(&secret, 30);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        let bodies = (0..BURST)
            .map(|i| {
                let code = if i == 37 { right.as_str() } else { wrong };
                json!({"mfa_token": mfa_token, "code": code})
            })
            .collect();
        let attacker = demo.client_from(own_loopback_address());
        let outcomes = burst(&attacker, demo.url("/auth/mfa/verify"), bodies).await;
        let checked = checked(store, &outcomes, &[200, 401]);
        assert!(
            checked <= LIMIT,
            "{store}: {checked} of {BURST} simultaneous codes were checked"
        );
        demo.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_from_one_address_are_limited_on_every_store() {
    for (store, url) in stores() {
        let demo = Demo::start(&[
            ("AUTH_DEMO_STORE", &url),
            ("AUTH_DEMO_REGISTRATIONS_PER_HOUR", "5"),
        ])
        .await;
        let attacker = demo.client_from(own_loopback_address());
        let bodies = (0..50)
            .map(|_| json!({"username": unique("flood"), "password": PASSWORD}))
            .collect();
        let outcomes = burst(&attacker, demo.url("/auth/register"), bodies).await;
        let created = checked(store, &outcomes, &[201]);
        assert_eq!(created, 5, "{store}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .filter(|o| o.status == 429)
                .all(|o| o.retry_after.is_some_and(|s| s > 60)),
            "{store}: the hour-long window is announced"
        );
        demo.stop().await;
    }
}
