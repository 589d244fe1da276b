//! A software authenticator for the passkey tests: a P-256 key per
//! credential, attestation `none`, and every byte of what it sends under the
//! test's control — the origin and the type in the client data, the RP id
//! hash, the flags (user present, user verified), the signature counter — so
//! that each way an answer can be wrong can be sent on purpose.
//!
//! What it produces is what `credential.toJSON()` gives in a browser
//! (`RegistrationResponseJSON` / `AuthenticationResponseJSON`); the browser
//! suite checks the same routes with Chromium's own virtual authenticator.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// Authenticator data flags (WebAuthn §6.1).
pub(crate) const USER_PRESENT: u8 = 0x01;
pub(crate) const USER_VERIFIED: u8 = 0x04;
const ATTESTED_DATA: u8 = 0x40;

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text)
        .expect("base64url from the server")
}

/// What the browser would put in `clientDataJSON`, each part changeable.
#[derive(Clone, Debug)]
pub(crate) struct ClientData {
    pub(crate) kind: &'static str,
    pub(crate) challenge: String,
    pub(crate) origin: String,
}

impl ClientData {
    /// For creation options `{"publicKey": ...}` from `origin`.
    pub(crate) fn create(options: &Value, origin: &str) -> ClientData {
        ClientData {
            kind: "webauthn.create",
            challenge: options["publicKey"]["challenge"]
                .as_str()
                .unwrap()
                .to_owned(),
            origin: origin.to_owned(),
        }
    }

    /// For request options `{"publicKey": ...}` from `origin`.
    pub(crate) fn get(options: &Value, origin: &str) -> ClientData {
        ClientData {
            kind: "webauthn.get",
            challenge: options["publicKey"]["challenge"]
                .as_str()
                .unwrap()
                .to_owned(),
            origin: origin.to_owned(),
        }
    }

    fn json(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "type": self.kind,
            "challenge": self.challenge,
            "origin": self.origin,
            "crossOrigin": false,
        }))
        .unwrap()
    }
}

/// One credential: its id, key pair, the RP id and user handle it was made
/// for, and its signature counter.
pub(crate) struct Credential {
    pub(crate) id: Vec<u8>,
    key: EcdsaKeyPair,
    pub(crate) rp_id: String,
    pub(crate) user_handle: Vec<u8>,
    /// The next assertion reports this plus one (0 stays 0: a counter-less
    /// authenticator, as synced passkeys are).
    pub(crate) counter: u32,
}

impl Credential {
    /// A new credential for the creation `options` (RP id and user handle
    /// taken from them), counting signatures from `counter`.
    pub(crate) fn new(options: &Value, counter: u32) -> Credential {
        let mut id = vec![0u8; 16];
        aws_lc_rs::rand::fill(&mut id).unwrap();
        Credential {
            id,
            key: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap(),
            rp_id: options["publicKey"]["rp"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            user_handle: unb64(options["publicKey"]["user"]["id"].as_str().unwrap()),
            counter,
        }
    }

    pub(crate) fn id_b64(&self) -> String {
        b64(&self.id)
    }

    /// `RegistrationResponseJSON` for `client`, with `flags` (plus the
    /// attested-data flag) and the RP id hash of `rp_id`.
    pub(crate) fn attestation(&self, client: &ClientData, rp_id: &str, flags: u8) -> Value {
        let mut auth_data = rp_id_hash(rp_id);
        auth_data.push(flags | ATTESTED_DATA);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID: none
        auth_data.extend_from_slice(&u16::try_from(self.id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&self.id);
        auth_data.extend_from_slice(&self.cose_key());
        let mut object = vec![0xa3];
        object.extend(cbor_text("fmt"));
        object.extend(cbor_text("none"));
        object.extend(cbor_text("attStmt"));
        object.push(0xa0);
        object.extend(cbor_text("authData"));
        object.extend(cbor_bytes(&auth_data));
        json!({
            "id": self.id_b64(),
            "rawId": self.id_b64(),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client.json()),
                "attestationObject": b64(&object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// `AuthenticationResponseJSON` for `client`, signed, with `flags`, the
    /// RP id hash of `rp_id` and `counter` as the signature counter.
    pub(crate) fn assertion_with(
        &self,
        client: &ClientData,
        rp_id: &str,
        flags: u8,
        counter: u32,
    ) -> Value {
        let mut auth_data = rp_id_hash(rp_id);
        auth_data.push(flags);
        auth_data.extend_from_slice(&counter.to_be_bytes());
        let client_json = client.json();
        let mut signed = auth_data.clone();
        signed.extend_from_slice(digest(&SHA256, &client_json).as_ref());
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": self.id_b64(),
            "rawId": self.id_b64(),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_json),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
            "clientExtensionResults": {},
        })
    }

    /// A proper assertion: this credential's RP id, user present and
    /// verified, the counter moved on (unless it is 0).
    pub(crate) fn assertion(&mut self, client: &ClientData) -> Value {
        if self.counter > 0 {
            self.counter += 1;
        }
        let rp_id = self.rp_id.clone();
        self.assertion_with(client, &rp_id, USER_PRESENT | USER_VERIFIED, self.counter)
    }

    /// The public key as a COSE_Key (EC2, P-256, ES256).
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        assert_eq!(point.len(), 65, "an uncompressed P-256 point");
        let mut key = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        key.extend(cbor_bytes(&point[1..33]));
        key.push(0x22);
        key.extend(cbor_bytes(&point[33..65]));
        key
    }
}

fn rp_id_hash(rp_id: &str) -> Vec<u8> {
    digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec()
}

fn cbor_text(text: &str) -> Vec<u8> {
    let mut out = cbor_head(3, text.len());
    out.extend_from_slice(text.as_bytes());
    out
}

fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = cbor_head(2, bytes.len());
    out.extend_from_slice(bytes);
    out
}

/// A CBOR head of major type `major` and length `len` (below 65536).
fn cbor_head(major: u8, len: usize) -> Vec<u8> {
    let major = major << 5;
    match len {
        0..=23 => vec![major | u8::try_from(len).unwrap()],
        24..=255 => vec![major | 24, u8::try_from(len).unwrap()],
        _ => {
            let [high, low] = u16::try_from(len).unwrap().to_be_bytes();
            vec![major | 25, high, low]
        }
    }
}
