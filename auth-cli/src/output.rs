//! [`Report`]: what a command has to say, as text and as JSON.

use serde_json::Value;

use super::CliError;

/// What a command has to say: text for a person, a JSON document for a
/// program (`--json`), and possibly a failure to report after it (a
/// verification that failed still shows each check).
#[derive(Debug)]
pub struct Report {
    text: String,
    json: Value,
    failure: Option<CliError>,
}

impl Report {
    /// A successful report.
    pub fn new(text: impl Into<String>, json: Value) -> Self {
        Report {
            text: text.into(),
            json,
            failure: None,
        }
    }

    /// This report, ending in `failure` (exit code 1).
    #[must_use]
    pub fn failed(mut self, failure: CliError) -> Self {
        self.failure = Some(failure);
        self
    }

    /// The text printed without `--json`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The document printed with `--json`.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The document as printed: pretty JSON.
    pub fn json_text(&self) -> String {
        // Serializing a `Value` to a string cannot fail.
        serde_json::to_string_pretty(&self.json).unwrap_or_default()
    }

    /// The failure this report ends in, if any.
    pub fn failure(&self) -> Option<&CliError> {
        self.failure.as_ref()
    }

    /// Takes the failure out, to print it after the report.
    pub(crate) fn take_failure(&mut self) -> Option<CliError> {
        self.failure.take()
    }
}
