//! What a user needs to add a TOTP secret to an authenticator app: the
//! `otpauth://` URI (Key Uri Format) and its QR code.

use std::fmt;

use qrcode::QrCode;
use qrcode::render::svg;
use zeroize::Zeroizing;

use super::MfaError;

/// What a user needs to add a TOTP secret to an authenticator app. Every
/// field holds the secret, so all are zeroized on drop and hidden from `Debug`.
#[derive(Clone)]
pub struct TotpEnrollment {
    /// The secret, base32 without padding, for typing in by hand.
    pub secret_base32: Zeroizing<String>,
    /// `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    pub otpauth_uri: Zeroizing<String>,
    /// A QR code of the URI: a standalone `<svg …>` document, usable as is in
    /// a page or as `<img src="data:image/svg+xml;base64,…">`.
    pub qr_svg: Zeroizing<String>,
}

impl fmt::Debug for TotpEnrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpEnrollment(..)")
    }
}

/// Percent-encodes all but the URI unreserved characters (RFC 3986 §2.3), as
/// the Key Uri Format asks for labels and parameters.
pub(super) fn percent_encode(text: &str) -> String {
    use fmt::Write as _;
    text.bytes()
        .fold(String::with_capacity(text.len()), |mut out, byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(byte));
            } else {
                let _ = write!(out, "%{byte:02X}");
            }
            out
        })
}

pub(super) fn qr_svg(uri: &str) -> Result<Zeroizing<String>, MfaError> {
    let code = QrCode::new(uri.as_bytes())
        .map_err(|_| MfaError::Setup("the otpauth URI is too long for a QR code"))?;
    let document = Zeroizing::new(
        code.render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
    );
    // The renderer starts with an XML declaration; `<svg xmlns=…>` alone is a
    // complete document for browsers and data: URLs.
    let start = document.find("<svg").unwrap_or(0);
    Ok(Zeroizing::new(
        document.get(start..).unwrap_or_default().to_owned(),
    ))
}
