//! Reading what must not travel in the arguments (passwords), or may come
//! from a pipe (tokens, with `-`): bounded, so that a runaway pipe cannot
//! grow memory without limit.

use std::io::{IsTerminal as _, Read as _};

use zeroize::Zeroizing;

use super::CliError;

/// The most read from standard input: far more than any token (the verifier
/// refuses over 8 KiB) or password.
const MAX_STDIN_BYTES: u64 = 64 * 1024;

/// All of standard input as text, at most [`MAX_STDIN_BYTES`].
pub(crate) fn read_stdin(what: &'static str) -> Result<Zeroizing<String>, CliError> {
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::stdin()
        .lock()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| CliError::Read { what, source })?;
    if bytes.len() as u64 > MAX_STDIN_BYTES {
        return Err(CliError::Input(format!(
            "{what} on standard input is longer than {MAX_STDIN_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::Input(format!("{what} on standard input is not UTF-8")))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// A token argument: the token itself, or `-` for standard input; surrounding
/// white space is dropped (a pasted token often ends in a line break).
pub(crate) fn token_argument(argument: &str) -> Result<Zeroizing<String>, CliError> {
    let text = if argument == "-" {
        read_stdin("the token")?
    } else {
        Zeroizing::new(argument.to_owned())
    };
    Ok(Zeroizing::new(text.trim().to_owned()))
}

/// A password: from a prompt without echo when standard input is a
/// terminal (asked twice when `confirm`), else the first line of standard
/// input (its line break removed, nothing else: spaces may be part of a
/// password).
pub(crate) fn password(confirm: bool) -> Result<Zeroizing<String>, CliError> {
    if std::io::stdin().is_terminal() {
        let prompt = |text: &str| {
            rpassword::prompt_password(text)
                .map(Zeroizing::new)
                .map_err(|source| CliError::Read {
                    what: "the password",
                    source,
                })
        };
        let first = prompt("Password: ")?;
        if confirm {
            let again = prompt("Repeat the password: ")?;
            if again != first {
                return Err(CliError::Input("the two passwords differ".into()));
            }
        }
        return Ok(first);
    }
    let text = read_stdin("the password")?;
    let line = text.split('\n').next().unwrap_or_default();
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Err(CliError::Input(
            "no password on standard input (pipe it in, or run in a terminal to be prompted)"
                .into(),
        ));
    }
    Ok(Zeroizing::new(line.to_owned()))
}
