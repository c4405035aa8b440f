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

use std::io::{BufReader, Cursor, Read};
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use logrocket_identify::{Error, IdentifyRequest, PreparedRequest};
use serde_json::json;

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

/// The CSV reader as `RowSource::open` makes it, over bytes instead of a file.
fn csv_source(data: &[u8]) -> Option<RowSource> {
    let input: Box<dyn Read + Send> = Box::new(Cursor::new(data.to_vec()));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input);
    let header: Arc<[String]> = reader
        .headers()
        .ok()?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    // `open` refuses a header without user_id.
    if !header.iter().any(|h| h == "user_id") {
        return None;
    }
    Some(RowSource::Csv { reader, header })
}

/// The JSON Lines reader as `RowSource::open` makes it, over bytes instead of a file.
fn jsonl_source(data: Vec<u8>) -> RowSource {
    let input: Box<dyn Read + Send> = Box::new(Cursor::new(data));
    RowSource::Jsonl {
        reader: BufReader::with_capacity(1 << 16, input),
        line: 0,
    }
}
