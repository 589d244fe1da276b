use super::*;
use crate::keys::files::MAX_FILE_LEN;

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn sorted<const N: usize>(names: [String; N]) -> Vec<String> {
    let mut names = names.to_vec();
    names.sort();
    names
}

fn kids(keys: &KeySet) -> Vec<String> {
    let mut kids: Vec<String> = keys
        .verifying_keys()
        .iter()
        .map(|k| k.kid().to_owned())
        .collect();
    kids.sort();
    kids
}

#[test]
fn kid_file_names_are_checked() {
    for good in [
        "a",
        "key-2024_01.v2",
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
        &"k".repeat(128),
    ] {
        assert!(check_kid_file_name(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        ".",
        "..",
        "../x",
        "a/b",
        "a\\b",
        ".hidden",
        "a b",
        "k\0",
        "ключ",
        "a:b",
        &"k".repeat(129),
    ] {
        assert!(check_kid_file_name(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn file_names_parse_by_the_layout() {
    assert_eq!(
        parse_file_name("k.EdDSA.pem"),
        Some(Ok(("k", Algorithm::EdDSA)))
    );
    assert_eq!(
        parse_file_name("v1.2.HS256.pem"),
        Some(Ok(("v1.2", Algorithm::HS256)))
    );
    for ignored in [
        "active",
        ".tmp-abc",
        ".k.EdDSA.pem",
        ".EdDSA.pem",
        "README.md",
        "k.EdDSA.pem.bak",
    ] {
        assert_eq!(parse_file_name(ignored), None, "{ignored}");
    }
    for refused in [
        "cert.pem",
        "k.RS512.pem",
        "k.none.pem",
        "é.EdDSA.pem",
        "a b.EdDSA.pem",
    ] {
        assert!(
            matches!(parse_file_name(refused), Some(Err(_))),
            "{refused}"
        );
    }
}

#[test]
fn save_and_load_keep_every_key_and_the_active_one() {
    for alg in Algorithm::ALL {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeySet::generate(alg).unwrap();
        let old = keys.signing_key().unwrap();
        let new = SigningKey::generate(alg).unwrap();
        keys.rotate(new.clone());
        keys.save_pem_dir(dir.path()).unwrap();

        let loaded = KeySet::load_pem_dir(dir.path()).unwrap();
        assert_eq!(loaded.signing_key().unwrap().kid(), new.kid(), "{alg}");
        assert_eq!(kids(&loaded), kids(&keys), "{alg}");
        let signature = old.sign(b"before the restart").unwrap();
        let old_again = loaded.verifying_key(old.kid()).unwrap();
        assert!(old_again.verify(b"before the restart", &signature), "{alg}");

        // A retired key's file is removed, so it stays retired after a restart.
        keys.retire(old.kid()).unwrap();
        keys.save_pem_dir(dir.path()).unwrap();
        assert_eq!(
            names(dir.path()),
            sorted([MARKER.to_owned(), file_name(new.kid(), alg)]),
            "{alg}"
        );
        assert_eq!(
            kids(&KeySet::load_pem_dir(dir.path()).unwrap()),
            vec![new.kid().to_owned()]
        );
    }
}

#[test]
fn only_the_active_key_keeps_its_private_half() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeySet::generate(Algorithm::ES256).unwrap();
    let old = keys.signing_key().unwrap();
    keys.rotate(SigningKey::generate(Algorithm::ES256).unwrap());
    keys.save_pem_dir(dir.path()).unwrap();
    let old_file =
        fs::read_to_string(dir.path().join(file_name(old.kid(), Algorithm::ES256))).unwrap();
    assert!(
        old_file.starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{old_file}"
    );
}

#[cfg(unix)]
#[test]
fn secrets_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("keys");
    let keys = KeySet::generate(Algorithm::EdDSA).unwrap();
    let old = keys.signing_key().unwrap();
    keys.rotate(SigningKey::generate(Algorithm::EdDSA).unwrap());
    keys.add_verifying_key(
        SigningKey::hs256(&[9; 32], Some("shared"))
            .unwrap()
            .verifying_key()
            .clone(),
    )
    .unwrap();
    keys.save_pem_dir(&dir).unwrap();
    let active = keys.signing_key().unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(
        mode(&dir.join(file_name(active.kid(), Algorithm::EdDSA))),
        0o600
    );
    assert_eq!(
        mode(&dir.join(file_name("shared", Algorithm::HS256))),
        0o600
    );
    // Public keys need no protection; they are never more open than 0644.
    assert_eq!(
        mode(&dir.join(file_name(old.kid(), Algorithm::EdDSA))) & !0o644,
        0
    );

    let generated = parent.path().join("generated");
    KeySet::load_or_generate_dir(&generated, Algorithm::RS256).unwrap();
    let key_file = names(&generated)
        .into_iter()
        .find(|n| n.ends_with(".pem"))
        .unwrap();
    assert_eq!(mode(&generated.join(key_file)), 0o600);
}

#[test]
fn unsafe_kids_are_refused_before_anything_is_written() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("keys");
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let jwk = key.verifying_key().to_jwk().unwrap();
    let mut json = serde_json::to_value(&jwk).unwrap();
    json["kid"] = "../../escaped".into();
    let set: super::super::JwkSet =
        serde_json::from_value(serde_json::json!({ "keys": [json] })).unwrap();
    let imported = KeySet::from_jwks(&set).unwrap();
    assert!(matches!(
        imported.save_pem_dir(&dir),
        Err(KeyError::InvalidKey(_))
    ));
    assert!(!dir.exists());
    assert_eq!(names(parent.path()), Vec::<String>::new());

    let named = KeySet::new(SigningKey::generate(Algorithm::EdDSA).unwrap());
    named
        .add_verifying_key(
            SigningKey::hs256(&[1; 32], Some("a/b"))
                .unwrap()
                .verifying_key()
                .clone(),
        )
        .unwrap();
    assert!(named.save_pem_dir(&dir).is_err());
    assert!(!dir.exists());
}

#[test]
fn a_verify_only_folder_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let signer = SigningKey::generate(Algorithm::RS256).unwrap();
    let keys = KeySet::verify_only([signer.verifying_key().clone()]).unwrap();
    fs::write(dir.path().join(MARKER), "stale\n").unwrap();
    keys.save_pem_dir(dir.path()).unwrap();
    assert!(!dir.path().join(MARKER).exists());
    let loaded = KeySet::load_pem_dir(dir.path()).unwrap();
    assert!(loaded.signing_key().is_none());
    assert_eq!(kids(&loaded), vec![signer.kid().to_owned()]);
    let refused = KeySet::load_or_generate_dir(dir.path(), Algorithm::RS256);
    assert!(matches!(refused, Err(KeyError::File { .. })));
}

#[test]
fn folders_that_do_not_say_which_key_signs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        KeySet::load_pem_dir(dir.path()),
        Err(KeyError::File { .. })
    ));
    assert!(KeySet::load_pem_dir(dir.path().join("missing")).is_err());

    // One private key without a marker is the active one.
    let first = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let first_file = dir.path().join(file_name(first.kid(), Algorithm::EdDSA));
    fs::write(&first_file, first.to_pem().as_bytes()).unwrap();
    fs::write(dir.path().join("README.md"), "not a key").unwrap();
    fs::write(dir.path().join(".tmp-leftover"), "half a key").unwrap();
    let loaded = KeySet::load_pem_dir(dir.path()).unwrap();
    assert_eq!(loaded.signing_key().unwrap().kid(), first.kid());

    // Two are ambiguous until the marker names one.
    let second = SigningKey::generate(Algorithm::EdDSA).unwrap();
    fs::write(
        dir.path().join(file_name(second.kid(), Algorithm::EdDSA)),
        second.to_pem().as_bytes(),
    )
    .unwrap();
    assert!(KeySet::load_pem_dir(dir.path()).is_err());
    fs::write(dir.path().join(MARKER), format!("{}\n", second.kid())).unwrap();
    assert_eq!(
        KeySet::load_pem_dir(dir.path())
            .unwrap()
            .signing_key()
            .unwrap()
            .kid(),
        second.kid()
    );
    fs::write(dir.path().join(MARKER), "someone-else\n").unwrap();
    assert!(KeySet::load_pem_dir(dir.path()).is_err());
    fs::write(dir.path().join(MARKER), "../../etc/passwd\n").unwrap();
    assert!(KeySet::load_pem_dir(dir.path()).is_err());
    fs::write(dir.path().join(MARKER), format!("{}\n", second.kid())).unwrap();

    // A file whose content is not a key of the algorithm in its name is named in the error.
    fs::write(
        dir.path().join("wrong.ES256.pem"),
        first.to_pem().as_bytes(),
    )
    .unwrap();
    let error = KeySet::load_pem_dir(dir.path()).unwrap_err();
    assert!(error.to_string().contains("wrong.ES256.pem"), "{error}");
    fs::remove_file(dir.path().join("wrong.ES256.pem")).unwrap();

    // So is a .pem file named outside the layout.
    fs::write(dir.path().join("cert.pem"), "x").unwrap();
    let error = KeySet::load_pem_dir(dir.path()).unwrap_err();
    assert!(error.to_string().contains("cert.pem"), "{error}");
    fs::remove_file(dir.path().join("cert.pem")).unwrap();

    // The same kid under two algorithms is a duplicate.
    let clash = SigningKey::generate(Algorithm::ES256).unwrap();
    fs::write(
        dir.path().join(file_name(first.kid(), Algorithm::ES256)),
        clash.to_pem().as_bytes(),
    )
    .unwrap();
    assert!(matches!(
        KeySet::load_pem_dir(dir.path()),
        Err(KeyError::DuplicateKid)
    ));
    fs::remove_file(first_file).unwrap();
    assert!(KeySet::load_pem_dir(dir.path()).is_ok());

    // An oversized file is refused without reading it whole.
    fs::write(
        dir.path().join("big.EdDSA.pem"),
        vec![b'A'; MAX_FILE_LEN as usize + 1],
    )
    .unwrap();
    assert!(KeySet::load_pem_dir(dir.path()).is_err());
}

#[test]
fn a_key_put_there_by_hand_is_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    fs::write(
        dir.path().join(file_name(key.kid(), Algorithm::ES256)),
        key.to_pem().as_bytes(),
    )
    .unwrap();
    let keys = KeySet::load_or_generate_dir(dir.path(), Algorithm::ES256).unwrap();
    assert_eq!(keys.signing_key().unwrap().kid(), key.kid());
    assert_eq!(
        fs::read_to_string(dir.path().join(MARKER)).unwrap(),
        format!("{}\n", key.kid())
    );
}

#[test]
fn processes_starting_together_agree_on_one_key() {
    for alg in [Algorithm::EdDSA, Algorithm::HS256] {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("shared");
        let barrier = std::sync::Barrier::new(6);
        let kids: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        let keys = KeySet::load_or_generate_dir(&dir, alg).unwrap();
                        keys.signing_key().unwrap().kid().to_owned()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(kids.iter().all(|kid| kid == &kids[0]), "{kids:?}");
        assert_eq!(
            names(&dir),
            sorted([MARKER.to_owned(), file_name(&kids[0], alg)])
        );
    }
}
