//! Second factors: TOTP authenticator apps, recovery codes, and one-time codes
//! sent by email or SMS.
//!
//! Everything here is pure logic over the [`store`](crate::store) traits; the
//! login flows decide when a second factor is needed. All three kinds of code
//! are accepted once only, and none of them is ever logged (except by the
//! explicitly development-only [`DevLogSender`]).
//!
//! - [`Totp`]: RFC 6238 codes (SHA-1, 6 digits, 30 s, ±1 step), enrolment
//!   through an `otpauth://` URI and its QR code, single use per time step;
//! - [`RecoveryCodes`]: ten `xxxxx-xxxxx` codes of 50 bits each, stored hashed;
//! - [`OneTimeCodes`]: six-digit codes delivered by the application's
//!   [`CodeSender`], stored hashed, throttled.

mod enrollment;
mod error;
mod one_time_code;
mod recovery;
mod totp;

pub use enrollment::TotpEnrollment;
pub use error::MfaError;
pub use one_time_code::{
    Channel, CodeSender, DeliveryError, DevLogSender, OneTimeCode, OneTimeCodes,
};
pub use recovery::RecoveryCodes;
pub use totp::{Totp, TotpSecret};
