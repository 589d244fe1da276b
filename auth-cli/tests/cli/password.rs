//! `auth password hash` and `verify`: the password comes from standard input.

use super::{auth, auth_stdin};

#[test]
fn hash_then_verify_matches_and_a_wrong_password_exits_1() {
    let phc = auth_stdin(&["password", "hash"], "correct horse battery\n")
        .ok()
        .trim_end()
        .to_owned();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");

    let out = auth_stdin(
        &["password", "verify", "--hash", &phc],
        "correct horse battery\n",
    );
    assert_eq!(out.ok().trim_end(), "match");
    let json = auth_stdin(
        &["--json", "password", "verify", "--hash", &phc],
        "correct horse battery",
    )
    .json();
    assert_eq!(json["matches"], true);
    assert_eq!(json["needs_rehash"], false);

    let out = auth_stdin(
        &["password", "verify", "--hash", &phc],
        "correct horse battery!\n",
    );
    let line = out.fails(1);
    assert_eq!(line, "error: the password does not match the hash");
    assert!(
        !out.stderr.contains("horse"),
        "the password is never echoed"
    );
    assert_eq!(out.stdout.trim_end(), "mismatch");

    // --json: one document with the hash.
    let json = auth_stdin(&["--json", "password", "hash"], "another long password").json();
    assert!(json["hash"].as_str().unwrap().starts_with("$argon2id$"));
}

#[test]
fn bad_passwords_and_hashes_fail_on_one_line() {
    let line = auth_stdin(&["password", "hash"], "short\n")
        .fails(1)
        .to_owned();
    assert!(line.contains("shorter than 8 characters"), "{line}");
    assert!(!line.contains("short\n"));
    let line = auth_stdin(&["password", "hash"], "\n").fails(1).to_owned();
    assert!(line.contains("no password"), "{line}");
    // No standard input at all (not a terminal either).
    auth(&["password", "hash"]).fails(1);

    for garbage in [
        "not-a-phc",
        "$argon2id$v=19$m=19456",
        "$2b$12$abcdefghijklmnopqrstuv",
        "",
    ] {
        let line = auth_stdin(
            &["password", "verify", "--hash", garbage],
            "whatever it is\n",
        )
        .fails(1)
        .to_owned();
        assert!(line.contains("malformed"), "{garbage}: {line}");
    }
}
