//! A CSV file to requests, through the CLI's own row reader (`import/rows.rs`, compiled here
//! as it is in the CLI, since the CLI is a binary crate with no library to link).
//!
//! Every row must come out without a panic, and a row read from its cells must make exactly
//! the request its JSON form makes: read by `IdentifyRequest::from_json_value`, and written to
//! a rejects line and imported again through the JSON Lines reader (a rejected row, fixed or
//! not, must mean the same thing on its second import).

#![no_main]

#[path = "../../crates/logrocket-cli/src/cli.rs"]
#[allow(dead_code)]
mod cli;
#[path = "../../crates/logrocket-cli/src/failure.rs"]
#[allow(dead_code)]
mod failure;
#[path = "../../crates/logrocket-cli/src/import/rows.rs"]
#[allow(dead_code)]
mod rows;

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use logrocket_identify::{Error, IdentifyRequest, PreparedRequest};
use serde_json::json;

use cli::InputFormat;
use rows::{RowInput, RowSource};

/// At most this many rows per input: a row's checks cost far more than reading it.
const MAX_ROWS: usize = 64;

fuzz_target!(|data: &[u8]| {
    let Some(source) = csv_source(data) else {
        return;
    };
    let mut last_line = 0;
    for row in source.take(MAX_ROWS) {
        // An `Err` is a fatal read error (the CLI stops there).
        let Ok(row) = row else {
            break;
        };
        assert!(row.line >= last_line, "lines go backwards");
        last_line = row.line;
        let RowInput::Csv { .. } = &row.input else {
            // A row that could not be read as cells (wrong count, not UTF-8) is refused.
            assert!(row.request.is_err(), "an unreadable row made a request");
            continue;
        };
        let from_cells = outcome(&row.request);
        let input = row.input.to_value();
        let from_json = outcome(
            &IdentifyRequest::from_json_value(&input)
                .map_err(Error::from)
                .and_then(|request| request.prepare().map_err(Error::from)),
        );
        assert_eq!(
            from_cells, from_json,
            "the row's cells and its JSON form {input} make different requests"
        );
        // The rejects file's line for this row, imported again.
        let line = json!({"line": row.line, "user_id": input.get("user_id"), "input": input});
        let again = jsonl_source(format!("{line}\n").into_bytes())
            .next()
            .and_then(Result::ok)
            .map(|row| outcome(&row.request));
        assert_eq!(
            again.as_ref(),
            Some(&from_cells),
            "the row imported again from its rejects line {line} makes another request"
        );
    }
});

/// What a row's request comes to: the encoded request, or the error's whole text.
fn outcome(request: &Result<PreparedRequest, Error>) -> Result<String, String> {
    request
        .as_ref()
        .map(|prepared| format!("{prepared:?}"))
        .map_err(|error| format!("{error} / {error:?}"))
}

/// The CSV reader `RowSource::open` makes, over bytes instead of a file (`None`: a header it
/// refuses).
fn csv_source(data: &[u8]) -> Option<RowSource> {
    RowSource::from_reader(Box::new(Cursor::new(data.to_vec())), InputFormat::Csv).ok()
}

/// The JSON Lines reader `RowSource::open` makes, over bytes instead of a file.
fn jsonl_source(data: Vec<u8>) -> RowSource {
    match RowSource::from_reader(Box::new(Cursor::new(data)), InputFormat::Jsonl) {
        Ok(source) => source,
        Err(_) => unreachable!("a JSON Lines source has no header to refuse"),
    }
}
