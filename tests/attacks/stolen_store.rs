//! A copy of the store gives an attacker no second factor.

use super::*;

#[tokio::test]
async fn a_copy_of_the_store_gives_away_no_second_factor() {
    let Some(url) = service_url("DATABASE_URL", "the leaked-store test") else {
        return;
    };
    let demo = Demo::start(&[("AUTH_DEMO_STORE", &url)]).await;
    let name = unique("leak");
    demo.register(&name, PASSWORD).await;
    let session = demo.login(&name, PASSWORD).await;
    let enrolled: Value = demo
        .post_bearer("/auth/mfa/totp/enroll", &session.access)
        .await
        .json()
        .await
        .unwrap();
    let secret = enrolled["secret"].as_str().unwrap().to_owned();
    let confirmed: Value = demo
        .post_json_bearer(
            "/auth/mfa/totp/confirm",
            &session.access,
            json!({"code": totp_at(&secret, 0)}),
        )
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();

    // What a copy of the database holds for the user.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let (stored_secret, stored_codes): (Vec<u8>, Vec<Vec<u8>>) = sqlx::query_as(
        "SELECT totp_secret, recovery_codes FROM auth.auth_users WHERE username = $1",
    )
    .bind(name.to_lowercase())
    .fetch_one(&pool)
    .await
    .unwrap();
    let raw = totp_rs::Secret::try_from_base32(&secret)
        .unwrap()
        .as_bytes()
        .to_vec();
    assert!(
        !stored_secret
            .windows(raw.len())
            .any(|w| w == raw.as_slice()),
        "the TOTP secret is stored sealed, never in the clear"
    );
    assert_eq!(stored_codes.len(), 10);
    for code in &codes {
        let unkeyed = auth_core::mfa::RecoveryCodes::hash(code).unwrap();
        assert!(
            !stored_codes
                .iter()
                .any(|stored| stored.as_slice() == unkeyed.0),
            "recovery codes are stored as keyed hashes, not a plain SHA-256"
        );
    }
}
