//! `logrocket import FILE`: stream rows from CSV or JSON Lines into the core's engine, writing
//! every failed row to a rejects file that can be fixed and imported again.

mod progress;
mod rejects;
mod rows;

use std::path::{Path, PathBuf};
use std::time::Instant;

use logrocket_identify::BulkOutcome;

use crate::cli::{ImportArgs, InputFormat};
use crate::connection::Connection;
use crate::failure::{CliError, EXIT_ROWS_FAILED};
use crate::identify::to_json;
use progress::Progress;
use rejects::RejectsFile;
use rows::{PendingRow, Row, RowSource};

pub async fn run(args: ImportArgs) -> Result<u8, CliError> {
    let from_stdin = args.file.as_os_str() == "-";
    let format = args
        .format
        .unwrap_or_else(|| guess_format(&args.file, from_stdin));
    let rejects_path = args
        .rejects
        .clone()
        .unwrap_or_else(|| default_rejects(&args.file, from_stdin));
    if !from_stdin && same_file(&args.file, &rejects_path) {
        return Err(CliError::usage(
            "the rejects file would overwrite the input: pass another --rejects path",
        ));
    }
    let total_hint = if from_stdin {
        None
    } else {
        rows::count_rows(&args.file, format)
    };
    let source = RowSource::open(&args.file, format, from_stdin)?;
    // Configuration is checked before the rejects file is created: a run that cannot start
    // must neither leave an empty rejects file behind nor truncate the previous run's.
    let connection = if args.dry_run {
        None
    } else {
        Some(Connection::open(
            &args.connection,
            Some(args.concurrency),
            args.fixed_concurrency,
        )?)
    };
    let mut rejects = RejectsFile::create(&rejects_path)?;
    let mut progress = Progress::new(total_hint, !args.no_progress);
    if args.dry_run {
        progress = progress.print_every_failure();
    }
    let started = Instant::now();

    let (summary_total, failed, emulator) = match connection {
        None => {
            let (total, failed) = dry_run(source, &mut rejects, &progress)?;
            (total, failed, None)
        }
        Some(connection) => {
            let (total, failed) = send(
                &connection,
                source,
                args.concurrency,
                &mut rejects,
                &progress,
            )
            .await?;
            (total, failed, connection.emulator)
        }
    };
    progress.finish();
    rejects.finish()?;

    let seconds = started.elapsed().as_secs_f64();
    let verb = if args.dry_run {
        "validated"
    } else {
        "imported"
    };
    eprintln!(
        "{verb} {} of {summary_total} rows in {seconds:.2}s ({:.0} rows/s)",
        summary_total - failed,
        summary_total as f64 / seconds.max(1e-9),
    );
    if let Some(emulator) = &emulator {
        let users = emulator.state().users();
        eprintln!(
            "the emulator stored {} users; the first three:",
            users.len()
        );
        for user in users.iter().take(3) {
            eprintln!("{}", to_json(user));
        }
    }
    if failed > 0 {
        eprintln!(
            "{failed} rows failed; each is in {} with its error (fix them and import that file)",
            rejects_path.display()
        );
        return Ok(EXIT_ROWS_FAILED);
    }
    rejects.remove_if_empty();
    Ok(0)
}

fn guess_format(file: &Path, from_stdin: bool) -> InputFormat {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    match ext.to_ascii_lowercase().as_str() {
        "jsonl" | "ndjson" | "json" if !from_stdin => InputFormat::Jsonl,
        _ => InputFormat::Csv,
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn default_rejects(file: &Path, from_stdin: bool) -> PathBuf {
    if from_stdin {
        return PathBuf::from("rejects.jsonl");
    }
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".rejects.jsonl");
    file.with_file_name(name)
}

/// Validates every row, sending nothing.
fn dry_run(
    source: RowSource,
    rejects: &mut RejectsFile,
    progress: &Progress,
) -> Result<(u64, u64), CliError> {
    let (mut total, mut failed) = (0, 0);
    for row in source {
        let Row {
            line,
            input,
            request,
        } = row?;
        total += 1;
        // Reading a row validates it (see rows.rs): nothing more to check.
        progress.record(request.is_err());
        if let Err(error) = request {
            failed += 1;
            progress.failure_line(&format!("line {line}: {error}"));
            rejects.write(&PendingRow { line, input }, &error)?;
        }
    }
    Ok((total, failed))
}

/// Sends every row on the core's engine: a thread of its own reads, validates and encodes rows
/// and pushes them into the engine's queue (waiting while it is full, so memory does not grow
/// with the file), while this task sends and writes each failure as it arrives. Each row rides
/// with its cells as the outcome's tag, so a reject can be written without a lookup table.
async fn send(
    connection: &Connection,
    source: RowSource,
    concurrency: usize,
    rejects: &mut RejectsFile,
    progress: &Progress,
) -> Result<(u64, u64), CliError> {
    let mut write_error = None;
    let (feeder, run) = connection
        .client
        .bulk_run_with(
            Some(concurrency),
            |outcome: BulkOutcome, row: PendingRow| {
                if let Err(error) = &outcome.result {
                    progress.failure_line(&format!("line {}: {error}", row.line));
                    if let Err(e) = rejects.write(&row, error) {
                        write_error.get_or_insert(e);
                    }
                }
                progress.record(outcome.result.is_err());
            },
        )
        .map_err(CliError::from_sdk)?;
    let reader = tokio::task::spawn_blocking(move || -> Result<(), CliError> {
        for row in source {
            let Row {
                line,
                input,
                request,
            } = row?;
            if feeder
                .push_blocking_with(request, PendingRow { line, input })
                .is_err()
            {
                break;
            }
        }
        // Dropping the feeder finishes the run's input, on an early return as well.
        Ok(())
    });
    let summary = run.await;
    let read = reader
        .await
        .map_err(|e| CliError::usage(format!("the reading thread failed: {e}")))?;
    read?;
    if let Some(e) = write_error {
        return Err(e);
    }
    Ok((summary.total, summary.failed))
}
