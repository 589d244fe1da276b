//! Encoding: strict base64url and JSON objects for the header and the claims.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::support::*;

/// A lenient decoder that accepts non-canonical trailing bits, to show that a
/// mutated segment still means the same bytes.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The same bytes in a non-canonical encoding: trailing bits set in the last
/// character. `segment.len() % 4` must not be 0.
fn non_canonical(segment: &str) -> String {
    assert_ne!(segment.len() % 4, 0);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (head, last) = segment.split_at(segment.len() - 1);
    let index = ALPHABET
        .iter()
        .position(|&c| c == last.as_bytes()[0])
        .unwrap();
    let out = format!("{head}{}", ALPHABET[index + 1] as char);
    assert_eq!(
        LENIENT.decode(&out).unwrap(),
        URL_SAFE_NO_PAD.decode(segment).unwrap()
    );
    out
}

/// Pads `json` with trailing spaces so its base64url has leftover bits.
fn with_leftover_bits(json: &Value) -> String {
    let mut text = json.to_string();
    while text.len() % 3 != 1 {
        text.push(' ');
    }
    text
}

#[test]
fn malformed_base64_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let header_seg = b64(with_leftover_bits(&header_for(&key)));
        let claims_seg = b64(with_leftover_bits(&claims_at(T0)));
        // The padded JSON is fine as such.
        assert!(check(&key, &sign_segments(&key, &header_seg, &claims_seg), T0).is_ok());

        let bad_headers = [
            non_canonical(&header_seg),
            format!("{header_seg}=="),
            format!("!{}", &header_seg[1..]),
            format!("+{}", &header_seg[1..]),
            format!("/{}", &header_seg[1..]),
            format!(" {header_seg}"),
            format!("{}é", &header_seg[..header_seg.len() - 2]),
            STANDARD.encode(with_leftover_bits(&header_for(&key))),
            format!("{header_seg}A"),
        ];
        for h in &bad_headers {
            let token = sign_segments(&key, h, &claims_seg);
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedHeader),
                "{alg}: {h}"
            );
        }

        // Claims in a bad encoding, under a genuine signature.
        let bad_claims = [
            non_canonical(&claims_seg),
            format!("{claims_seg}=="),
            format!("!{}", &claims_seg[1..]),
            format!("{}+", &claims_seg[..claims_seg.len() - 1]),
            format!("{claims_seg}A"),
        ];
        for c in &bad_claims {
            let token = sign_segments(&key, &header_seg, c);
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedClaims),
                "{alg}: {c:.16}"
            );
        }

        // The signature in a bad encoding: the same bytes, written otherwise.
        let token = sign_segments(&key, &header_seg, &claims_seg);
        let (h, c, s) = segments(&token);
        let raw = URL_SAFE_NO_PAD.decode(s).unwrap();
        let bad_signatures = [
            non_canonical(s),
            format!("{s}="),
            format!("{s}=="),
            STANDARD.encode(&raw),
            format!("+{}", &s[1..]),
            format!("{}\n", s),
        ];
        for bad in &bad_signatures {
            let token = format!("{h}.{c}.{bad}");
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::Malformed),
                "{alg}: {bad}"
            );
        }
    }
}

#[test]
fn malformed_json_header_is_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let a = alg.as_str();
        let kid = key.kid();
        let headers: Vec<Vec<u8>> = vec![
            format!(r#"{{"alg":"{a}","typ":"at+jwt","kid":"{kid}""#).into_bytes(),
            format!(r#"["{a}","at+jwt","{kid}"]"#).into_bytes(),
            format!(r#"["{a}","at+jwt","{kid}",null]"#).into_bytes(),
            format!(r#""{a}""#).into_bytes(),
            b"null".to_vec(),
            b"42".to_vec(),
            b"{}".to_vec(),
            b"".to_vec(),
            format!(r#"{{"typ":"at+jwt","kid":"{kid}"}}"#).into_bytes(),
            format!(r#"{{"alg":null,"typ":"at+jwt","kid":"{kid}"}}"#).into_bytes(),
            format!(r#"{{"alg":["{a}"],"typ":"at+jwt","kid":"{kid}"}}"#).into_bytes(),
            format!(r#"{{"alg":"none","alg":"{a}","typ":"at+jwt","kid":"{kid}"}}"#).into_bytes(),
            format!(r#"{{"alg":"{a}","typ":"at+jwt","kid":"{kid}"}} {{}}"#).into_bytes(),
            [b"{\"alg\":\"".as_slice(), &[0xff, 0xfe], b"\"}"].concat(),
        ];
        for header in &headers {
            let token = forge_raw(&key, header, claims_at(T0).to_string().as_bytes());
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedHeader),
                "{alg}: {}",
                String::from_utf8_lossy(header)
            );
        }
    }
}

#[test]
fn malformed_json_claims_are_refused() {
    for alg in Algorithm::ALL {
        let key = ours(alg);
        let header = header_for(&key).to_string();
        let valid = claims_at(T0);
        let exp = T0 + TTL;
        let claims: Vec<Vec<u8>> = vec![
            valid.to_string().trim_end_matches('}').as_bytes().to_vec(),
            // The registered claims in field order, as an array.
            format!(r#"["{ISS}","user-1","{AUD}",{exp},{T0},{T0},"jti-1","sid-1"]"#).into_bytes(),
            br#""user-1""#.to_vec(),
            b"null".to_vec(),
            b"[]".to_vec(),
            b"".to_vec(),
            format!(r#"{{"sub":"admin",{}"#, &valid.to_string()[1..]).into_bytes(),
            format!("{valid} {valid}").into_bytes(),
            [b"{\"sub\":\"".as_slice(), &[0xc3, 0x28], b"\"}"].concat(),
        ];
        for body in &claims {
            let token = forge_raw(&key, header.as_bytes(), body);
            assert_eq!(
                check(&key, &token, T0).err(),
                Some(TokenRejection::MalformedClaims),
                "{alg}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
