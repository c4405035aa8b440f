//! The rejects file: every failed row with its error, as JSON Lines `import` reads back.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use logrocket_identify::Error;
use serde_json::{Value, json};

use super::rows::PendingRow;
use crate::failure::CliError;

pub struct RejectsFile {
    path: PathBuf,
    writer: BufWriter<File>,
    written: u64,
}

impl RejectsFile {
    /// Creates (or truncates) the file, so an old run's rejects never mix with this run's.
    pub fn create(path: &Path) -> Result<Self, CliError> {
        let file = File::create(path).map_err(|e| {
            CliError::io(
                &format!("cannot create the rejects file {}", path.display()),
                e,
            )
        })?;
        Ok(RejectsFile {
            path: path.to_owned(),
            writer: BufWriter::new(file),
            written: 0,
        })
    }

    /// One line: `{"line", "user_id", "error": {"kind", "message", ...}, "input"}`.
    pub fn write(&mut self, row: &PendingRow, error: &Error) -> Result<(), CliError> {
        let input = row.input.to_value();
        let user_id = input.get("user_id").cloned().unwrap_or(Value::Null);
        let mut error_json = json!({ "kind": error.kind().as_str(), "message": error.message() });
        if let Some(field) = error.field() {
            error_json["field"] = json!(field);
        }
        if let Error::Validation(v) = error
            && let Some(detail) = &v.detail
        {
            error_json["detail"] = json!(detail);
        }
        if let Some(status) = error.status() {
            error_json["status"] = json!(status);
        }
        let line =
            json!({ "line": row.line, "user_id": user_id, "error": error_json, "input": input });
        serde_json::to_writer(&mut self.writer, &line)
            .map_err(|e| CliError::usage(format!("cannot write the rejects file: {e}")))?;
        self.writer
            .write_all(b"\n")
            .map_err(|e| CliError::io("cannot write the rejects file", e))?;
        self.written += 1;
        Ok(())
    }

    pub fn finish(&mut self) -> Result<(), CliError> {
        self.writer
            .flush()
            .map_err(|e| CliError::io("cannot write the rejects file", e))
    }

    /// A clean run leaves no empty rejects file behind.
    pub fn remove_if_empty(self) {
        if self.written == 0 {
            drop(self.writer);
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
