//! How the command fails: a message for stderr and an exit status.

use std::fmt;

/// Exit status when some rows failed but the command ran to the end.
pub const EXIT_ROWS_FAILED: u8 = 1;
/// Exit status for bad usage or configuration, or a failed single identify.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub exit_code: u8,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: EXIT_ERROR,
        }
    }

    pub fn from_sdk(error: logrocket_identify::Error) -> Self {
        CliError::usage(error.to_string())
    }

    pub fn io(what: &str, error: std::io::Error) -> Self {
        CliError::usage(format!("{what}: {error}"))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
