//! Accounts: creation, uniqueness, updates, recovery codes.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::{Must, RACERS, race, random_hash, unique};
use crate::store::StoreError;
use crate::store::{NewUser, SecretHash, Store, TotpState};

fn new_user(username: &str) -> NewUser {
    NewUser {
        username: username.to_owned(),
        password_hash: Some(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".to_owned(),
        ),
        roles: vec!["reader".to_owned(), "admin".to_owned()],
    }
}

/// A created account is found by id and by exact name, with what was given.
pub async fn users_create_and_look_up<S: Store>(store: Arc<S>) {
    let name = unique("User");
    let user = store.create_user(new_user(&name)).await.must("create_user");
    assert_eq!(user.username, name, "create_user must keep the username");
    assert_eq!(
        user.password_hash,
        new_user(&name).password_hash,
        "create_user must keep the hash"
    );
    assert_eq!(
        user.roles,
        ["reader", "admin"],
        "create_user must keep the roles in order"
    );
    assert!(
        user.totp.is_none() && user.recovery_codes.is_empty(),
        "a new user has no second factor"
    );
    assert!(!user.id.is_empty(), "a user id must not be empty");

    let by_name = store.user_by_name(&name).await.must("user_by_name");
    assert_eq!(
        by_name.as_ref(),
        Some(&user),
        "user_by_name must find the created user as returned"
    );
    let by_id = store.user_by_id(&user.id).await.must("user_by_id");
    assert_eq!(
        by_id.as_ref(),
        Some(&user),
        "user_by_id must find the created user as returned"
    );

    // Names match exactly: another case is another name.
    let other_case = name.to_lowercase();
    assert_ne!(other_case, name);
    assert!(
        store
            .user_by_name(&other_case)
            .await
            .must("user_by_name")
            .is_none(),
        "user_by_name must match the name exactly"
    );
    let second = store
        .create_user(NewUser {
            username: other_case,
            password_hash: None,
            roles: Vec::new(),
        })
        .await
        .must("create_user with a name differing in case");
    assert_ne!(second.id, user.id, "two users must get two ids");
    assert!(second.password_hash.is_none() && second.roles.is_empty());

    assert!(
        store
            .user_by_name(&unique("nobody"))
            .await
            .must("user_by_name")
            .is_none()
    );
    assert!(
        store
            .user_by_id(&unique("no-id"))
            .await
            .must("user_by_id")
            .is_none()
    );
}

/// A second account with a taken name is refused, and the first is unchanged.
pub async fn users_duplicate_username<S: Store>(store: Arc<S>) {
    let name = unique("dup");
    let first = store.create_user(new_user(&name)).await.must("create_user");
    let again = NewUser {
        username: name.clone(),
        password_hash: None,
        roles: vec!["admin".to_owned()],
    };
    assert!(
        matches!(
            store.create_user(again).await,
            Err(StoreError::UsernameTaken)
        ),
        "a duplicate username must give StoreError::UsernameTaken"
    );
    let found = store.user_by_name(&name).await.must("user_by_name");
    assert_eq!(
        found,
        Some(first),
        "a refused duplicate must not change the first account"
    );
}

/// Of concurrent registrations of one name, exactly one succeeds.
pub async fn users_duplicate_username_concurrently<S: Store>(store: Arc<S>) {
    let name = unique("race");
    let results = race(|_| {
        let (store, name) = (Arc::clone(&store), name.clone());
        async move { store.create_user(new_user(&name)).await }
    })
    .await;
    let created = results.iter().filter(|r| r.is_ok()).count();
    let taken = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::UsernameTaken)))
        .count();
    assert_eq!(
        created, 1,
        "of {RACERS} concurrent registrations of one name, exactly one must succeed"
    );
    assert_eq!(
        taken,
        RACERS - 1,
        "the other concurrent registrations must get UsernameTaken"
    );
}

/// Password hash and TOTP updates are stored; unknown users are `NotFound`.
pub async fn users_update_password_and_totp<S: Store>(store: Arc<S>) {
    let user = store
        .create_user(new_user(&unique("upd")))
        .await
        .must("create_user");
    let rehashed = "$argon2id$v=19$m=65536,t=3,p=1$bmV3c2FsdA$bmV3aGFzaG5ld2hhc2g";
    store
        .set_password_hash(&user.id, rehashed)
        .await
        .must("set_password_hash");
    let found = store.user_by_id(&user.id).await.must("user_by_id");
    assert_eq!(
        found.as_ref().and_then(|u| u.password_hash.as_deref()),
        Some(rehashed),
        "set_password_hash must replace the hash"
    );

    let pending = TotpState {
        secret: Zeroizing::new(vec![7u8; 20]),
        confirmed: false,
    };
    store
        .set_totp(&user.id, Some(pending.clone()))
        .await
        .must("set_totp");
    let found = store.user_by_id(&user.id).await.must("user_by_id");
    assert_eq!(
        found.and_then(|u| u.totp),
        Some(pending),
        "set_totp must store the enrolment"
    );
    let confirmed = TotpState {
        secret: Zeroizing::new(vec![9u8; 20]),
        confirmed: true,
    };
    store
        .set_totp(&user.id, Some(confirmed.clone()))
        .await
        .must("set_totp");
    let found = store.user_by_id(&user.id).await.must("user_by_id");
    assert_eq!(
        found.and_then(|u| u.totp),
        Some(confirmed),
        "set_totp must replace the enrolment"
    );
    store.set_totp(&user.id, None).await.must("set_totp(None)");
    let found = store.user_by_id(&user.id).await.must("user_by_id");
    assert!(
        found.is_some_and(|u| u.totp.is_none()),
        "set_totp(None) must clear the enrolment"
    );

    let ghost = unique("ghost");
    assert!(
        matches!(
            store.set_password_hash(&ghost, rehashed).await,
            Err(StoreError::NotFound)
        ),
        "set_password_hash of an unknown user must be NotFound"
    );
    assert!(
        matches!(
            store.set_totp(&ghost, None).await,
            Err(StoreError::NotFound)
        ),
        "set_totp of an unknown user must be NotFound"
    );
    assert!(
        matches!(
            store.set_recovery_codes(&ghost, Vec::new()).await,
            Err(StoreError::NotFound)
        ),
        "set_recovery_codes of an unknown user must be NotFound"
    );
}

/// Whether two lists hold the same codes, in any order.
fn same_codes(a: &[SecretHash], b: &[SecretHash]) -> bool {
    let mut a: Vec<[u8; 32]> = a.iter().map(|h| h.0).collect();
    let mut b: Vec<[u8; 32]> = b.iter().map(|h| h.0).collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// Each recovery code works once; a wrong code never; replacing the codes
/// retires the old ones.
pub async fn recovery_codes_consumed_once<S: Store>(store: Arc<S>) {
    let user = store
        .create_user(new_user(&unique("rc")))
        .await
        .must("create_user");
    let codes = [random_hash(), random_hash(), random_hash()];
    store
        .set_recovery_codes(&user.id, codes.to_vec())
        .await
        .must("set_recovery_codes");
    let found = store.user_by_id(&user.id).await.must("user_by_id");
    assert!(
        found.is_some_and(|u| same_codes(&u.recovery_codes, &codes)),
        "set_recovery_codes must store the codes"
    );

    let [first, second, third] = codes;
    assert!(
        store
            .consume_recovery_code(&user.id, &second)
            .await
            .must("consume"),
        "a stored code must be accepted"
    );
    assert!(
        !store
            .consume_recovery_code(&user.id, &second)
            .await
            .must("consume"),
        "a code must be accepted once only"
    );
    assert!(
        !store
            .consume_recovery_code(&user.id, &random_hash())
            .await
            .must("consume"),
        "an unknown code must be refused"
    );
    let left = store.user_by_id(&user.id).await.must("user_by_id");
    assert!(
        left.is_some_and(|u| same_codes(&u.recovery_codes, &[first, third])),
        "a consumed code must leave the others in place"
    );

    let fresh = [random_hash(), random_hash()];
    store
        .set_recovery_codes(&user.id, fresh.to_vec())
        .await
        .must("set_recovery_codes");
    assert!(
        !store
            .consume_recovery_code(&user.id, &first)
            .await
            .must("consume"),
        "replaced codes must stop working"
    );
    let [fresh_a, _] = fresh;
    assert!(
        store
            .consume_recovery_code(&user.id, &fresh_a)
            .await
            .must("consume"),
        "new codes must work"
    );
    assert!(
        !store
            .consume_recovery_code(&unique("ghost"), &fresh_a)
            .await
            .must("consume for an unknown user"),
        "an unknown user has no codes"
    );
}

/// Of concurrent uses of one recovery code, exactly one succeeds.
pub async fn recovery_codes_consumed_concurrently_once<S: Store>(store: Arc<S>) {
    let user = store
        .create_user(new_user(&unique("rc-race")))
        .await
        .must("create_user");
    let code = random_hash();
    store
        .set_recovery_codes(&user.id, vec![random_hash(), code, random_hash()])
        .await
        .must("set_recovery_codes");
    let results = race(|_| {
        let (store, id) = (Arc::clone(&store), user.id.clone());
        async move {
            store
                .consume_recovery_code(&id, &code)
                .await
                .must("consume_recovery_code")
        }
    })
    .await;
    let accepted = results.iter().filter(|ok| **ok).count();
    assert_eq!(
        accepted, 1,
        "of {RACERS} concurrent uses of one recovery code, exactly one must succeed"
    );
    let left = store
        .user_by_id(&user.id)
        .await
        .must("user_by_id")
        .map(|u| u.recovery_codes.len());
    assert_eq!(left, Some(2), "the other codes must remain");
}
