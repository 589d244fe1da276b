//! `auth totp`: TOTP as auth-core's [`Totp`] does it (SHA-1, 6 digits, 30 s
//! steps, what authenticator apps assume): a new secret with its
//! `otpauth://` URI and a QR code drawn in the terminal, or the code of a
//! secret at a time.

use auth_core::mfa::{Totp, TotpSecret};
use clap::{Args, Subcommand};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use serde_json::json;

use super::input::read_stdin;
use super::timestamp;
use super::{CliError, Report};

/// The time step auth-core's [`Totp`] uses by default.
const STEP_SECS: i64 = 30;

/// `auth totp ...`.
#[derive(Debug, Subcommand)]
pub enum TotpCommand {
    /// A new secret: base32, otpauth:// URI and a QR code to scan.
    New(NewArgs),
    /// The code of a secret, now or at a given time.
    Code(CodeArgs),
}

/// `auth totp new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The name authenticator apps show above the code (no `:`).
    #[arg(long)]
    pub issuer: String,
    /// The account, e.g. the username (no `:`).
    #[arg(long)]
    pub account: String,
    /// Leave the QR code out of the text output.
    #[arg(long)]
    pub no_qr: bool,
}

/// `auth totp code`.
#[derive(Debug, Args)]
pub struct CodeArgs {
    /// The base32 secret, or `-` to read it from standard input.
    pub secret: String,
    /// The time, in seconds since the epoch; now by default.
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    pub at: Option<i64>,
}

/// Runs `auth totp ...`.
pub(crate) fn run(command: &TotpCommand) -> Result<Report, CliError> {
    match command {
        TotpCommand::New(args) => new_secret(args),
        TotpCommand::Code(args) => code(args),
    }
}

/// A new secret for `args.account` at `args.issuer`.
pub fn new_secret(args: &NewArgs) -> Result<Report, CliError> {
    let secret = Totp::generate_secret()?;
    let enrollment = Totp::issuer(args.issuer.as_str()).enrollment(&secret, &args.account)?;
    let mut text = format!(
        "secret:      {}\notpauth URI: {}\n",
        enrollment.secret_base32.as_str(),
        enrollment.otpauth_uri.as_str()
    );
    if !args.no_qr {
        let qr = QrCode::new(enrollment.otpauth_uri.as_bytes())
            .map_err(|_| CliError::Input("the otpauth URI is too long for a QR code".into()))?;
        text.push_str(
            &qr.render::<Dense1x2>()
                .dark_color(Dense1x2::Light)
                .light_color(Dense1x2::Dark)
                .quiet_zone(true)
                .build(),
        );
        text.push('\n');
    }
    Ok(Report::new(
        text,
        json!({
            "secret": enrollment.secret_base32.as_str(),
            "otpauth_uri": enrollment.otpauth_uri.as_str(),
            "issuer": args.issuer,
            "account": args.account,
        }),
    ))
}

/// The code of `args.secret` at `args.at` (now by default).
pub fn code(args: &CodeArgs) -> Result<Report, CliError> {
    let text = if args.secret == "-" {
        read_stdin("the secret")?
    } else {
        zeroize::Zeroizing::new(args.secret.clone())
    };
    let compact: zeroize::Zeroizing<String> =
        zeroize::Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());
    if compact.is_empty() {
        return Err(CliError::Input("the secret is empty".into()));
    }
    let secret = TotpSecret::from_base32(&compact).ok_or_else(|| {
        CliError::Input("the secret is not base32 (RFC 4648: A-Z and 2-7)".into())
    })?;
    let at = args.at.unwrap_or_else(timestamp::now);
    let code = Totp::issuer("auth")
        .code_at(secret.as_bytes(), at)
        .ok_or_else(|| {
            CliError::Input(
                "no code: the secret is shorter than 128 bits, or the time is before 1970".into(),
            )
        })?;
    let remaining = STEP_SECS - at.rem_euclid(STEP_SECS);
    Ok(Report::new(
        code.as_str(),
        json!({ "code": code.as_str(), "at": at, "valid_for_secs": remaining }),
    ))
}
