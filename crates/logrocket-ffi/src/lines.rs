//! Reading a buffer of JSON Lines (one identify input a line) into requests, for
//! `lr_client_identify_many_json`. Each line is read by the core's
//! `IdentifyRequest::from_json_str` (which reads the common shapes without a JSON tree); this
//! module only splits the buffer and says which user a refused line was about.

use logrocket_identify::{FailedInput, IdentifyRequest, PreparedRequest, ValidationError};
use serde_json::Value;

use crate::error::lr_error;

/// The lines of `buffer`: split at `\n`, where a final `\n` ends the last line rather than
/// starting an empty one. Every other line is an input, blank ones included, so that an input's
/// index is its line number counting from 0.
pub(crate) fn lines(buffer: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = buffer.strip_suffix(b"\n").unwrap_or(buffer);
    let mut parts = body.split(|&b| b == b'\n');
    // An empty buffer holds no line (split would yield one empty part).
    if buffer.is_empty() {
        parts.next();
    }
    parts
}

/// A line that could not become a request: why, and its user id when the line says it.
#[derive(Debug)]
pub(crate) struct BadLine {
    pub(crate) user_id: String,
    pub(crate) error: LineError,
}

/// Why a line was refused: not UTF-8 (an invalid argument, as for every string given to this
/// library), or not the input form (the core's validation error).
#[derive(Debug)]
pub(crate) enum LineError {
    NotUtf8(std::str::Utf8Error),
    Invalid(logrocket_identify::ValidationError),
}

impl BadLine {
    /// The line as a failed input of a bulk run (index and user id kept), and the C error the
    /// report shows for it when the core has no kind for it: a line that is not UTF-8 is an
    /// invalid argument, as every non-UTF-8 string given to this library is. The engine's copy
    /// of that error is the core's nearest reading (a malformed input), never shown.
    pub(crate) fn into_input(self, argument: &str) -> (FailedInput, Option<lr_error>) {
        match self.error {
            LineError::Invalid(e) => (
                FailedInput {
                    user_id: self.user_id,
                    error: e.into(),
                },
                None,
            ),
            LineError::NotUtf8(e) => {
                let why = format!("the line is not valid UTF-8 ({e})");
                let own = lr_error::invalid_argument(argument, why.clone());
                let error = ValidationError::malformed(argument, why).into();
                let input = FailedInput {
                    user_id: self.user_id,
                    error,
                };
                (input, Some(own))
            }
        }
    }
}

/// Reads one line in the JSON input form, as the core reads it.
pub(crate) fn parse_line(line: &[u8]) -> Result<IdentifyRequest, BadLine> {
    let text = std::str::from_utf8(line).map_err(|e| BadLine {
        user_id: String::new(),
        error: LineError::NotUtf8(e),
    })?;
    IdentifyRequest::from_json_str(text).map_err(|e| BadLine {
        // Only a refused line pays for reading it a second time.
        user_id: serde_json::from_str::<Value>(text)
            .map(|value| user_id_of(&value))
            .unwrap_or_default(),
        error: LineError::Invalid(e),
    })
}

/// Reads one line and validates and encodes its request, ready to send.
pub(crate) fn prepare_line(line: &[u8]) -> Result<PreparedRequest, BadLine> {
    let request = parse_line(line)?;
    request.prepare().map_err(|e| BadLine {
        user_id: request.user_id.clone(),
        error: LineError::Invalid(e),
    })
}

/// The user id a refused line names, as the core would read it, or "".
fn user_id_of(value: &Value) -> String {
    match value.get("user_id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn refused_lines_keep_the_user_id_they_name() {
        let bad = parse_line(br#"{"user_id": "u-1", "trait": {}}"#).unwrap_err();
        assert_eq!(bad.user_id, "u-1");
        let bad = parse_line(br#"{"user_id": 7, "timestamp": "x"}"#).unwrap_err();
        assert_eq!(bad.user_id, "7");
        let bad = parse_line(b"not json").unwrap_err();
        assert_eq!(bad.user_id, "");
        let bad = parse_line(b"{\"user_id\": \"a\xffb\"}").unwrap_err();
        assert!(matches!(bad.error, LineError::NotUtf8(_)));
    }

    #[test]
    fn lines_split_at_newlines_and_keep_blank_ones() {
        let split = |b: &'static [u8]| lines(b).collect::<Vec<_>>();
        assert!(split(b"").is_empty());
        assert_eq!(split(b"\n"), vec![b"" as &[u8]]);
        assert_eq!(split(b"a"), vec![b"a" as &[u8]]);
        assert_eq!(split(b"a\n"), vec![b"a" as &[u8]]);
        assert_eq!(split(b"a\n\nb"), vec![b"a" as &[u8], b"", b"b"]);
        assert_eq!(split(b"a\nb\n\n"), vec![b"a" as &[u8], b"b", b""]);
    }
}
