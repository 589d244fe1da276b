//! `auth keys` and `auth jwks`.

use super::{auth, key_folder};

const ALGORITHMS: [&str; 4] = ["EdDSA", "ES256", "RS256", "HS256"];

#[test]
fn generate_writes_a_folder_the_library_loads_and_jwks_publishes_public_keys_only() {
    let tmp = tempfile::tempdir().unwrap();
    for alg in ALGORITHMS {
        let dir = tmp.path().join(alg);
        let dir = dir.to_str().unwrap();
        let out = auth(&["--json", "keys", "generate", "--alg", alg, "--dir", dir]).json();
        let kid = out["generated"]["kid"].as_str().unwrap().to_owned();
        assert_eq!(out["generated"]["alg"], alg);

        // The library reads what the command wrote.
        let keys = auth_core::KeySet::load_pem_dir(dir).unwrap();
        assert_eq!(keys.signing_key().unwrap().kid(), kid);
        assert_eq!(keys.signing_key().unwrap().algorithm().as_str(), alg);

        let list = auth(&["keys", "list", "--dir", dir]);
        assert!(list.ok().contains(&kid), "{list:?}");
        assert!(list.ok().contains("active"), "{list:?}");

        let jwks = auth(&["jwks", "--dir", dir]);
        let set: serde_json::Value = serde_json::from_str(jwks.ok()).unwrap();
        let published = set["keys"].as_array().unwrap();
        if alg == "HS256" {
            assert!(published.is_empty(), "a shared secret is never published");
        } else {
            assert_eq!(published.len(), 1);
            assert_eq!(published[0]["kid"], kid.as_str());
            assert_eq!(published[0]["alg"], alg);
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(published[0].get(private).is_none(), "{alg}: {private}");
            }
        }
    }
}

#[test]
fn generate_refuses_a_folder_that_holds_keys_and_accepts_one_with_other_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = key_folder(tmp.path(), "keys", "EdDSA");
    let before = std::fs::read_to_string(format!("{dir}/active")).unwrap();
    let line = auth(&["keys", "generate", "--alg", "ES256", "--dir", &dir])
        .fails(1)
        .to_owned();
    assert!(line.contains("already holds a key set"), "{line}");
    assert!(line.contains("auth keys rotate"), "{line}");
    assert_eq!(
        std::fs::read_to_string(format!("{dir}/active")).unwrap(),
        before,
        "the active key is untouched"
    );

    // A folder with other files only (the demo's server secret, say) is empty of keys.
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("server.secret"), "not a key").unwrap();
    let other = other.to_str().unwrap();
    auth(&["keys", "generate", "--alg", "EdDSA", "--dir", other]).ok();
    assert!(auth_core::KeySet::load_pem_dir(other).is_ok());
}

#[test]
fn rotate_keeps_old_keys_verifying_and_retire_removes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = key_folder(tmp.path(), "keys", "EdDSA");
    let first = auth(&["--json", "keys", "list", "--dir", &dir]).json()["keys"][0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let mint = |dir: &str| {
        auth(&[
            "token",
            "mint",
            "--dir",
            dir,
            "--sub",
            "u1",
            "--iss",
            "https://id.example",
            "--aud",
            "api",
        ])
        .ok()
        .trim()
        .to_owned()
    };
    let verify = |token: &str| {
        auth(&[
            "token",
            "verify",
            token,
            "--dir",
            &dir,
            "--iss",
            "https://id.example",
            "--aud",
            "api",
        ])
    };
    let old_token = mint(&dir);

    let rotated = auth(&["--json", "keys", "rotate", "--dir", &dir, "--alg", "ES256"]).json();
    let second = rotated["active"]["kid"].as_str().unwrap().to_owned();
    assert_eq!(rotated["previous"], first.as_str());
    assert_eq!(rotated["active"]["alg"], "ES256");
    let list = auth(&["keys", "list", "--dir", &dir]);
    assert!(
        list.ok().contains(&format!("{first}  verifies only")),
        "{list:?}"
    );
    assert!(list.ok().contains(&format!("{second}  active")), "{list:?}");
    // The old key's file holds its public half only now.
    let old_file = std::fs::read_to_string(format!("{dir}/{first}.EdDSA.pem")).unwrap();
    assert!(old_file.contains("PUBLIC KEY") && !old_file.contains("PRIVATE"));

    verify(&old_token).ok();
    verify(&mint(&dir)).ok();

    // The active key cannot be retired.
    let line = auth(&["keys", "retire", "--dir", &dir, "--kid", &second])
        .fails(1)
        .to_owned();
    assert!(
        line.contains("active signing key cannot be retired"),
        "{line}"
    );
    // Nor an unknown one.
    let line = auth(&["keys", "retire", "--dir", &dir, "--kid", "nope"])
        .fails(1)
        .to_owned();
    assert!(line.contains("no key with this kid"), "{line}");

    auth(&["keys", "retire", "--dir", &dir, "--kid", &first]).ok();
    let refused = verify(&old_token);
    let line = refused.fails(1);
    assert!(line.contains("the key check"), "{line}");
    assert!(refused.stdout.contains("FAILED  key"), "{refused:?}");
    assert!(!std::path::Path::new(&format!("{dir}/{first}.EdDSA.pem")).exists());
}

#[test]
fn missing_empty_and_broken_folders_fail_on_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    let missing = missing.to_str().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let empty = empty.to_str().unwrap();
    let broken = tmp.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("k1.EdDSA.pem"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n",
    )
    .unwrap();
    let broken = broken.to_str().unwrap();

    for dir in [missing, empty, broken] {
        for args in [
            &["keys", "list", "--dir", dir][..],
            &["keys", "rotate", "--dir", dir],
            &["keys", "retire", "--dir", dir, "--kid", "k1"],
            &["jwks", "--dir", dir],
            &[
                "token", "mint", "--dir", dir, "--sub", "u", "--iss", "i", "--aud", "a",
            ],
            &[
                "token", "verify", "a.b.c", "--dir", dir, "--iss", "i", "--aud", "a",
            ],
        ] {
            let out = auth(args);
            let line = out.fails(1);
            assert!(line.contains(dir), "names the folder: {args:?} {line}");
        }
    }
    // A broken folder is not taken for an empty one.
    auth(&["keys", "generate", "--alg", "EdDSA", "--dir", broken]).fails(1);
}
