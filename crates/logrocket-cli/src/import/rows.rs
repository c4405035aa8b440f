//! Reading rows from CSV or JSON Lines, one at a time, each turned into an identify request.
//!
//! A rejected row is written back out in the identify input's JSON form, which `import` reads
//! again whichever format the row came from. A CSV row becomes that JSON only when it is
//! rejected: the common case builds its request straight from the cells.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use logrocket_identify::{Error, IdentifyRequest, PreparedRequest, TraitValue, ValidationError};
use serde_json::{Map, Value};

use crate::cli::InputFormat;
use crate::failure::CliError;

/// Columns with a meaning of their own; every other CSV column is a trait.
const CSV_FIELDS: [&str; 4] = ["user_id", "name", "email", "timestamp"];

/// One input row: where it was, what it said, and the request it makes (or why it makes none).
#[derive(Debug)]
pub struct Row {
    /// 1-based line in the file (for CSV, where the record starts).
    pub line: u64,
    pub input: RowInput,
    /// Validated and encoded here, on the reading thread, so the sending thread only sends.
    pub request: Result<PreparedRequest, Error>,
}

/// What a row said, kept while its request is in flight so a reject can be written.
#[derive(Debug)]
pub enum RowInput {
    /// A CSV record whose cells match the header (one buffer for all of them).
    Csv {
        header: Arc<[String]>,
        cells: csv::StringRecord,
    },
    /// The identify input as JSON, or the raw text (or cells) of a row that could not be read
    /// as one.
    Json(Value),
}

impl RowInput {
    /// The row as an identify input (`{"user_id": ..., "traits": {...}}`).
    pub fn to_value(&self) -> Value {
        match self {
            RowInput::Csv { header, cells } => csv_input(header, cells),
            RowInput::Json(value) => value.clone(),
        }
    }
}

/// What a row leaves behind while its request is in flight: enough to write it as a reject.
#[derive(Debug)]
pub struct PendingRow {
    pub line: u64,
    pub input: RowInput,
}

/// The rows of a file or stdin, as an iterator. An `Err` item is fatal (the input could not be
/// read at all); a bad row is an `Ok` row whose `request` is an error.
pub enum RowSource {
    Csv {
        reader: csv::Reader<Box<dyn Read + Send>>,
        header: Arc<[String]>,
    },
    Jsonl {
        reader: BufReader<Box<dyn Read + Send>>,
        line: u64,
    },
}

impl RowSource {
    pub fn open(path: &Path, format: InputFormat, from_stdin: bool) -> Result<Self, CliError> {
        let input: Box<dyn Read + Send> = if from_stdin {
            Box::new(io::stdin())
        } else {
            Box::new(
                File::open(path)
                    .map_err(|e| CliError::io(&format!("cannot open {}", path.display()), e))?,
            )
        };
        Self::from_reader(input, format)
    }

    /// The rows of `input`, read as `format` (a CSV's header is read and checked here).
    pub fn from_reader(input: Box<dyn Read + Send>, format: InputFormat) -> Result<Self, CliError> {
        match format {
            InputFormat::Jsonl => Ok(RowSource::Jsonl {
                reader: BufReader::with_capacity(1 << 16, input),
                line: 0,
            }),
            InputFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .buffer_capacity(1 << 16)
                    .from_reader(input);
                let header: Arc<[String]> = reader
                    .headers()
                    .map_err(|e| CliError::usage(format!("cannot read the CSV header: {e}")))?
                    .iter()
                    .map(|h| h.trim().to_owned())
                    .collect();
                if !header.iter().any(|h| h == "user_id") {
                    return Err(CliError::usage(format!(
                        "the CSV header has no user_id column (it has: {}); the columns \
                         user_id, name, email and timestamp have their meaning, every other \
                         column is a trait",
                        header.join(", ")
                    )));
                }
                Ok(RowSource::Csv { reader, header })
            }
        }
    }
}

impl Iterator for RowSource {
    type Item = Result<Row, CliError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RowSource::Csv { reader, header } => next_csv(reader, header),
            RowSource::Jsonl { reader, line } => next_jsonl(reader, line),
        }
    }
}

fn prepare(request: IdentifyRequest) -> Result<PreparedRequest, Error> {
    request.prepare().map_err(Error::from)
}

fn bad_row(detail: impl Into<String>) -> Error {
    Error::Validation(ValidationError::malformed("input", detail))
}

fn next_csv(
    reader: &mut csv::Reader<Box<dyn Read + Send>>,
    header: &Arc<[String]>,
) -> Option<Result<Row, CliError>> {
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(false) => return None,
        Ok(true) => {}
        Err(e) => return Some(Err(CliError::usage(format!("cannot read the CSV: {e}")))),
    }
    let line = record.position().map_or(0, |p| p.line());
    // The cells as text, for a row refused before it becomes a request.
    let lossy = |record: &csv::ByteRecord| -> Vec<String> {
        record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    };
    if record.len() != header.len() {
        return Some(Ok(Row {
            line,
            input: RowInput::Json(Value::from(lossy(&record))),
            request: Err(bad_row(format!(
                "the row has {} fields but the header has {}",
                record.len(),
                header.len()
            ))),
        }));
    }
    let cells = match csv::StringRecord::from_byte_record(record) {
        Ok(cells) => cells,
        Err(e) => {
            return Some(Ok(Row {
                line,
                input: RowInput::Json(Value::from(lossy(&e.into_byte_record()))),
                request: Err(bad_row("the row is not valid UTF-8")),
            }));
        }
    };
    let request = csv_request(header, &cells).and_then(prepare);
    Some(Ok(Row {
        line,
        input: RowInput::Csv {
            header: Arc::clone(header),
            cells,
        },
        request,
    }))
}

/// The request a CSV row makes, by the same rules as its JSON form ([`csv_input`]) read by
/// `IdentifyRequest::from_json_value`, without building that JSON for every row.
fn csv_request(header: &[String], cells: &csv::StringRecord) -> Result<IdentifyRequest, Error> {
    let mut request = IdentifyRequest::default();
    for (column, value) in header.iter().zip(cells) {
        match column.as_str() {
            "user_id" => value.clone_into(&mut request.user_id),
            _ if value.is_empty() => {}
            "name" => request.name = Some(value.to_owned()),
            "email" => request.email = Some(value.to_owned()),
            "timestamp" => match value.trim().parse::<i64>() {
                Ok(ms) => request.timestamp_ms = Some(ms),
                // Not an integer: the JSON form's rules give the error, with its message.
                Err(_) => {
                    return IdentifyRequest::from_json_value(&csv_input(header, cells))
                        .map_err(Error::from);
                }
            },
            key => {
                request
                    .traits
                    .insert(key.to_owned(), TraitValue::String(value.to_owned()));
            }
        }
    }
    Ok(request)
}

/// A CSV row as the identify input. Empty cells are left out rather than sent as blanks,
/// since a blank trait would remove it: a sparse column must not wipe users' traits.
fn csv_input(header: &[String], cells: &csv::StringRecord) -> Value {
    let mut input = Map::new();
    let mut traits = Map::new();
    for (column, value) in header.iter().zip(cells) {
        let value = value.to_owned();
        if column == "user_id" {
            input.insert(column.clone(), Value::String(value));
        } else if value.is_empty() {
            continue;
        } else if column == "timestamp" {
            // An integer goes as a number; anything else stays text and fails validation
            // with a message saying what a timestamp must be.
            let number = value.trim().parse::<i64>().map(Value::from);
            input.insert(column.clone(), number.unwrap_or(Value::String(value)));
        } else if CSV_FIELDS.contains(&column.as_str()) {
            input.insert(column.clone(), Value::String(value));
        } else {
            traits.insert(column.clone(), Value::String(value));
        }
    }
    if !traits.is_empty() {
        input.insert("traits".into(), Value::Object(traits));
    }
    Value::Object(input)
}

fn next_jsonl(reader: &mut impl BufRead, line: &mut u64) -> Option<Result<Row, CliError>> {
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) => return None,
            Ok(_) => *line += 1,
            Err(e) => return Some(Err(CliError::io("cannot read the input", e))),
        }
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            break;
        }
    }
    let parsed = std::str::from_utf8(&bytes)
        .map_err(|_| "the line is not valid UTF-8".to_owned())
        .and_then(|text| {
            serde_json::from_str::<Value>(text).map_err(|e| format!("the line is not JSON: {e}"))
        });
    let row = match parsed {
        Ok(value) => {
            // A line of a rejects file carries the input under "input": import it as is.
            let input = match value {
                Value::Object(mut object) if object.contains_key("input") => {
                    object.remove("input").unwrap_or_default()
                }
                other => other,
            };
            let request = IdentifyRequest::from_json_value(&input)
                .map_err(Error::from)
                .and_then(prepare);
            Row {
                line: *line,
                input: RowInput::Json(input),
                request,
            }
        }
        Err(detail) => {
            // JSON that a `Value` cannot hold (a lone surrogate's escape, nesting past 128
            // levels) is read field by field by the core's text reader, whose error names the
            // field at fault, as the C and Go bindings report the same line.
            let by_field = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|text| IdentifyRequest::from_json_str(text.trim_end()).err());
            Row {
                line: *line,
                input: RowInput::Json(Value::String(
                    String::from_utf8_lossy(&bytes).trim_end().to_owned(),
                )),
                request: Err(by_field.map_or_else(|| bad_row(detail), Error::from)),
            }
        }
    };
    Some(Ok(row))
}

/// How many rows the file holds, for the progress bar; `None` if it cannot be read quickly.
/// Counts newlines, so a CSV with quoted line breaks overestimates, which only shifts the ETA.
pub fn count_rows(path: &Path, format: InputFormat) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    let mut buffer = vec![0u8; 1 << 16];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let n = file.read(&mut buffer).ok()?;
        if n == 0 {
            break;
        }
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        last = buffer[n - 1];
    }
    if last != b'\n' {
        lines += 1;
    }
    Some(match format {
        InputFormat::Csv => lines.saturating_sub(1),
        InputFormat::Jsonl => lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path must make exactly the request the JSON form makes, error included.
    #[test]
    fn csv_request_matches_the_json_form() {
        let header: Vec<String> = [
            "user_id",
            "name",
            "email",
            "timestamp",
            "plan",
            "traits",
            "plan",
        ]
        .map(String::from)
        .to_vec();
        let rows = [
            ["u1", "Ann", "a@x.io", "1700000000000", "pro", "t", "max"],
            ["u2", "", "", "", "", "", ""],
            ["", "Bob", "", " 42 ", "free", "", ""],
            ["u3", "", "", "yesterday", "pro", "", ""],
            ["u4", "", "", "1.5", "", "", ""],
            ["u5", "", "", "-7", "", "", ""],
        ];
        for row in rows {
            let cells = csv::StringRecord::from(row.to_vec());
            let fast = csv_request(&header, &cells).map_err(|e| e.to_string());
            let json = IdentifyRequest::from_json_value(&csv_input(&header, &cells))
                .map_err(|e| Error::from(e).to_string());
            assert_eq!(fast, json, "row {row:?}");
        }
    }
}
