//! `logrocket import`: CSV and JSON Lines into an emulator, rejects, dry runs, server failures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{
    connection_flags, emulator, logrocket, read_rejects, run, stored_traits, traits, write_file,
};
use logrocket_emulator::{Emulator, Fault};
use serde_json::{Value, json};

const HEADER: &str = "user_id,name,email,timestamp,plan,revenue";

/// 1025 characters: one past the limit.
fn long_name() -> String {
    "n".repeat(1025)
}

/// A CSV whose lines 3, 4, 5 and 6 are bad and whose lines 2, 7 and 8 are good (line 8's name
/// is exactly 1024 two-byte characters, which the API accepts).
fn csv_with_bad_rows() -> String {
    [
        HEADER.to_owned(),
        "u1,Ann,ann@example.com,1700000000000,pro,10".to_owned(),
        format!("u2,{},bob@example.com,1700000000000,free,3", long_name()),
        "u3,Cee,cee@example.com,yesterday,pro,4".to_owned(),
        "u4,Dee,dee@example.com,1700000000000,pro".to_owned(),
        ",Eve,eve@example.com,1700000000000,pro,5".to_owned(),
        "u6,Fay,fay@example.com,,team,6".to_owned(),
        format!("u7,{},,1700000000000,free,", "é".repeat(1024)),
    ]
    .join("\n")
        + "\n"
}

/// Imports [`csv_with_bad_rows`] from `dir/users.csv`; returns the run and the rejects path.
fn import_bad_csv(dir: &Path, emulator: &Emulator) -> (common::Run, PathBuf) {
    let file = write_file(dir, "users.csv", &csv_with_bad_rows());
    let mut command = logrocket(dir);
    command.arg("import").arg(&file).arg("--no-progress");
    command.args(connection_flags(emulator));
    (run(command, None), dir.join("users.csv.rejects.jsonl"))
}

fn error_of(reject: &Value) -> (u64, &str, &str) {
    (
        reject["line"].as_u64().unwrap(),
        reject["error"]["message"].as_str().unwrap(),
        reject["error"]["field"].as_str().unwrap(),
    )
}

#[test]
fn bad_csv_rows_go_to_the_rejects_file_and_good_rows_to_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let (outcome, rejects_path) = import_bad_csv(dir.path(), &emulator);
    outcome.expect_code(1);
    assert!(
        outcome.stderr.contains("imported 3 of 7 rows"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("4 rows failed"),
        "{}",
        outcome.stderr
    );

    let rejects = read_rejects(&rejects_path);
    let errors: Vec<_> = rejects.iter().map(error_of).collect();
    assert_eq!(
        errors,
        [
            (3, "name too large (max 1024 characters)", "name"),
            (4, "Malformed request", "timestamp"),
            (5, "Malformed request", "input"),
            (6, "userID is required", "user_id"),
        ]
    );
    for reject in &rejects {
        assert_eq!(reject["error"]["kind"], "validation");
    }
    let inputs: Vec<&Value> = rejects.iter().map(|r| &r["input"]).collect();
    assert_eq!(
        inputs,
        [
            &json!({"user_id": "u2", "name": long_name(), "email": "bob@example.com",
                    "timestamp": 1_700_000_000_000_i64,
                    "traits": {"plan": "free", "revenue": "3"}}),
            &json!({"user_id": "u3", "name": "Cee", "email": "cee@example.com",
                    "timestamp": "yesterday", "traits": {"plan": "pro", "revenue": "4"}}),
            // A row that cannot be read against the header is kept as its raw fields.
            &json!(["u4", "Dee", "dee@example.com", "1700000000000", "pro"]),
            &json!({"user_id": "", "name": "Eve", "email": "eve@example.com",
                    "timestamp": 1_700_000_000_000_i64,
                    "traits": {"plan": "pro", "revenue": "5"}}),
        ]
    );

    assert_eq!(
        stored_traits(&emulator, "u1"),
        traits(&[("plan", "pro"), ("revenue", "10")])
    );
    assert_eq!(
        stored_traits(&emulator, "u6"),
        traits(&[("plan", "team"), ("revenue", "6")])
    );
    // An empty cell is left out, not sent as a blank that would remove the trait.
    assert_eq!(stored_traits(&emulator, "u7"), traits(&[("plan", "free")]));
    let u7 = emulator
        .state()
        .user(common::ORG, common::APP, "u7")
        .unwrap();
    assert_eq!(u7.name.unwrap().chars().count(), 1024);
    assert_eq!(emulator.state().users().len(), 3);
    // Nothing invalid reached the wire.
    assert_eq!(emulator.state().requests().len(), 3);
}

#[test]
fn a_csv_row_that_is_not_utf8_is_rejected_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let mut bytes = format!("{HEADER}\nu1,Ann,,1700000000000,pro,10\n").into_bytes();
    bytes.extend_from_slice(b"u2,B\xffb,,,free,3\nu3,Cee,,,team,4\n");
    let file = dir.path().join("users.csv");
    std::fs::write(&file, bytes).unwrap();
    let mut command = logrocket(dir.path());
    command.arg("import").arg(&file).arg("--no-progress");
    command.args(connection_flags(&emulator));
    run(command, None).expect_code(1);
    let rejects = read_rejects(&dir.path().join("users.csv.rejects.jsonl"));
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(error_of(&rejects[0]), (3, "Malformed request", "input"));
    assert_eq!(rejects[0]["error"]["detail"], "the row is not valid UTF-8");
    // Kept as its cells, the bad byte shown as U+FFFD.
    assert_eq!(
        rejects[0]["input"],
        json!(["u2", "B\u{fffd}b", "", "", "free", "3"])
    );
    assert_eq!(emulator.state().users().len(), 2);
}

#[test]
fn a_fixed_rejects_file_imports_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let (outcome, rejects_path) = import_bad_csv(dir.path(), &emulator);
    outcome.expect_code(1);

    // Fix each reject's input in place, keeping the rest of its line as written.
    let fixed: Vec<String> = read_rejects(&rejects_path)
        .into_iter()
        .map(|mut reject| {
            let line = reject["line"].as_u64().unwrap();
            let input = &mut reject["input"];
            match line {
                3 => input["name"] = json!("Bob"),
                4 => input["timestamp"] = json!(1_700_000_000_000_i64),
                5 => {
                    *input = json!({"user_id": "u4", "name": "Dee", "traits": {"plan": "pro"}});
                }
                6 => input["user_id"] = json!("u5"),
                other => panic!("unexpected reject on line {other}"),
            }
            reject.to_string()
        })
        .collect();
    std::fs::write(&rejects_path, fixed.join("\n") + "\n").unwrap();

    let mut command = logrocket(dir.path());
    command
        .arg("import")
        .arg(&rejects_path)
        .arg("--no-progress");
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(0);
    assert!(
        outcome.stderr.contains("imported 4 of 4 rows"),
        "{}",
        outcome.stderr
    );
    let second_rejects = dir.path().join("users.csv.rejects.jsonl.rejects.jsonl");
    assert!(
        !second_rejects.exists(),
        "a clean run leaves no rejects file"
    );

    let stored: Vec<String> = emulator
        .state()
        .users()
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    assert_eq!(stored, ["u1", "u2", "u3", "u4", "u5", "u6", "u7"]);
    let u2 = emulator
        .state()
        .user(common::ORG, common::APP, "u2")
        .unwrap();
    assert_eq!(u2.name.as_deref(), Some("Bob"));
    assert_eq!(
        stored_traits(&emulator, "u2"),
        traits(&[("plan", "free"), ("revenue", "3")])
    );
    assert_eq!(stored_traits(&emulator, "u4"), traits(&[("plan", "pro")]));
}

#[test]
fn json_lines_file_with_typed_traits() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let file = write_file(
        dir.path(),
        "users.jsonl",
        concat!(
            r#"{"user_id":"j1","name":"Jo","traits":{"age":43,"vip":true,"plan":"free","score":1.5}}"#,
            "\n\n",
            r#"{"user_id":"x@y.com/j2","email":"j2@example.com","timestamp":1700000000000}"#,
            "\n",
        ),
    );
    let mut command = logrocket(dir.path());
    command.arg("import").arg(&file).arg("--no-progress");
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(0);
    assert!(
        outcome.stderr.contains("imported 2 of 2 rows"),
        "{}",
        outcome.stderr
    );
    assert_eq!(
        stored_traits(&emulator, "j1"),
        traits(&[
            ("age", "43"),
            ("plan", "free"),
            ("score", "1.5"),
            ("vip", "true")
        ])
    );
    let j2 = emulator
        .state()
        .user(common::ORG, common::APP, "x@y.com/j2")
        .unwrap();
    assert_eq!(j2.email.as_deref(), Some("j2@example.com"));
    assert_eq!(j2.first_seen, 1_700_000_000_000);
    assert!(!dir.path().join("users.jsonl.rejects.jsonl").exists());
}

#[test]
fn json_lines_from_stdin_counts_lines_and_writes_rejects_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let input = concat!(
        r#"{"user_id":"s1","traits":{"plan":"pro"}}"#,
        "\n",
        r#"{"user_id":"s2","traits":{"nested":{"a":1}}}"#,
        "\n",
        "this is not json\n",
        r#"{"user_id":"s4","traits":{"plan":"team"}}"#,
        "\n",
        // A lone surrogate's escape: not JSON a `Value` holds; the error still names the field.
        r#"{"user_id":"s5","name":"a\ud800"}"#,
        "\n",
        // null is the key left out, for unset as for the others.
        r#"{"user_id":"s6","name":"Six","unset":null}"#,
        "\n",
    );
    let mut command = logrocket(dir.path());
    command.args(["import", "-", "--format", "jsonl", "--no-progress"]);
    command.args(connection_flags(&emulator));
    let outcome = run(command, Some(input));
    outcome.expect_code(1);

    let rejects = read_rejects(&dir.path().join("rejects.jsonl"));
    let errors: Vec<_> = rejects.iter().map(error_of).collect();
    assert_eq!(
        errors,
        [
            (2, "Malformed request", "traits.nested"),
            (3, "Malformed request", "input"),
            (5, "Malformed request", "name"),
        ]
    );
    assert_eq!(rejects[1]["input"], json!("this is not json"));
    assert_eq!(stored_traits(&emulator, "s1"), traits(&[("plan", "pro")]));
    assert_eq!(stored_traits(&emulator, "s4"), traits(&[("plan", "team")]));
    let s6 = emulator
        .state()
        .user(common::ORG, common::APP, "s6")
        .unwrap();
    assert_eq!(s6.name.as_deref(), Some("Six"));
    assert_eq!(emulator.state().users().len(), 3);
}

#[test]
fn dry_run_reports_every_bad_row_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let file = write_file(dir.path(), "users.csv", &csv_with_bad_rows());
    let mut command = logrocket(dir.path());
    command
        .arg("import")
        .arg(&file)
        .args(["--dry-run", "--no-progress"]);
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(1);
    for expected in [
        "line 3: invalid input: name: name too large (max 1024 characters)",
        "line 4: invalid input: timestamp: Malformed request",
        "line 5: invalid input: input: Malformed request",
        "line 6: invalid input: user_id: userID is required",
        "validated 3 of 7 rows",
    ] {
        assert!(
            outcome.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            outcome.stderr
        );
    }
    assert_eq!(outcome.stderr.matches("line ").count(), 4);
    assert!(emulator.state().requests().is_empty());
    assert!(emulator.state().users().is_empty());
}

#[test]
fn dry_run_lists_every_bad_row_however_many() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..30).map(|i| format!(",user {i}\n")).collect();
    let file = write_file(dir.path(), "users.csv", &format!("user_id,name\n{rows}"));
    let mut command = logrocket(dir.path());
    command
        .arg("import")
        .arg(&file)
        .args(["--dry-run", "--no-progress"]);
    let outcome = run(command, None);
    outcome.expect_code(1);
    for line in 2..=31 {
        let expected = format!("line {line}: invalid input: user_id: userID is required\n");
        assert!(
            outcome.stderr.contains(&expected),
            "missing {expected:?} in:\n{}",
            outcome.stderr
        );
    }
    assert_eq!(
        read_rejects(&dir.path().join("users.csv.rejects.jsonl")).len(),
        30
    );
}

#[test]
fn dry_run_of_a_clean_file_succeeds_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let file = write_file(
        dir.path(),
        "users.csv",
        &format!("{HEADER}\nu1,Ann,,1700000000000,pro,10\nu2,,,,free,\n"),
    );
    let mut command = logrocket(dir.path());
    command
        .arg("import")
        .arg(&file)
        .args(["--dry-run", "--no-progress"]);
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(0);
    assert!(
        outcome.stderr.contains("validated 2 of 2 rows"),
        "{}",
        outcome.stderr
    );
    assert!(emulator.state().requests().is_empty());
    assert!(!dir.path().join("users.csv.rejects.jsonl").exists());
}

fn five_user_csv(dir: &Path) -> PathBuf {
    let rows: Vec<String> = (1..=5)
        .map(|i| format!("u{i},User {i},,1700000000000,pro,{i}"))
        .collect();
    write_file(
        dir,
        "users.csv",
        &format!("{HEADER}\n{}\n", rows.join("\n")),
    )
}

fn server_error() -> Fault {
    Fault {
        status: Some(500),
        ..Default::default()
    }
}

#[test]
fn rows_that_exhaust_retries_are_rejected_with_the_api_status() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let file = five_user_csv(dir.path());
    emulator
        .state()
        .push_faults(vec![server_error(), server_error(), server_error()]);
    let mut command = logrocket(dir.path());
    command.arg("import").arg(&file).args([
        "--no-progress",
        "--max-retries",
        "0",
        // One at a time, so the scripted faults meet the first three rows.
        "--concurrency",
        "1",
    ]);
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(1);

    let rejects = read_rejects(&dir.path().join("users.csv.rejects.jsonl"));
    assert_eq!(rejects.len(), 3, "{rejects:?}");
    for (reject, (line, user_id)) in rejects.iter().zip([(2, "u1"), (3, "u2"), (4, "u3")]) {
        assert_eq!(reject["line"], line);
        assert_eq!(reject["user_id"], user_id);
        assert_eq!(reject["input"]["user_id"], user_id);
        assert_eq!(reject["error"]["kind"], "api");
        assert_eq!(reject["error"]["status"], 500);
        assert_eq!(reject["error"]["message"], "Error processing user data");
    }
    let stored: Vec<String> = emulator
        .state()
        .users()
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    assert_eq!(stored, ["u4", "u5"]);
    assert_eq!(emulator.state().requests().len(), 5, "no retries were made");
}

#[test]
fn retries_absorb_server_failures() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let file = five_user_csv(dir.path());
    emulator
        .state()
        .push_faults(vec![server_error(), server_error()]);
    let mut command = logrocket(dir.path());
    command.arg("import").arg(&file).args([
        "--no-progress",
        "--max-retries",
        "2",
        "--concurrency",
        "1",
    ]);
    command.args(connection_flags(&emulator));
    run(command, None).expect_code(0);
    assert_eq!(emulator.state().users().len(), 5);
    assert_eq!(emulator.state().requests().len(), 7);
    assert!(!dir.path().join("users.csv.rejects.jsonl").exists());
}

#[test]
fn a_run_that_cannot_start_keeps_the_previous_rejects_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = five_user_csv(dir.path());
    let previous = write_file(dir.path(), "users.csv.rejects.jsonl", "{\"line\":2}\n");
    let mut command = logrocket(dir.path());
    command
        .arg("import")
        .arg(&file)
        .args(["--no-progress", "--app", "acme/shop"]);
    let outcome = run(command, None);
    outcome.expect_code(2);
    assert!(
        outcome.stderr.contains("--api-key") && outcome.stderr.contains("LOGROCKET_API_KEY"),
        "{}",
        outcome.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&previous).unwrap(),
        "{\"line\":2}\n"
    );

    std::fs::remove_file(&previous).unwrap();
    run(
        {
            let mut command = logrocket(dir.path());
            command.arg("import").arg(&file).arg("--no-progress");
            command
        },
        None,
    )
    .expect_code(2);
    assert!(!previous.exists(), "no empty rejects file is left behind");
}

#[test]
fn the_readme_first_command_imports_the_sample_of_1000_users() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let scratch = tempfile::tempdir().unwrap();
    let mut command = logrocket(&workspace);
    command.args(["import", "examples/users.csv", "--emulator"]);
    // The README's command as is, except that a rejects file (none is expected) would be
    // written outside the source tree.
    command
        .arg("--rejects")
        .arg(scratch.path().join("rejects.jsonl"));
    let outcome = run(command, None);
    outcome.expect_code(0);
    assert!(
        outcome.stderr.contains("imported 1000 of 1000 rows"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("the emulator stored 1000 users"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("\"revenue\""), "{}", outcome.stderr);
    assert!(!scratch.path().join("rejects.jsonl").exists());
}

/// `--rate-limit` keeps an import under a server's own limit: nothing refused, no retries spent.
#[test]
fn rate_limit_keeps_an_import_under_the_servers_limit() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    emulator.state().set_rate_limit(Some(20));
    let rows: String = (0..30).map(|i| format!("r{i},Row {i}\n")).collect();
    let file = write_file(dir.path(), "paced.csv", &format!("user_id,name\n{rows}"));
    let mut command = logrocket(dir.path());
    command.arg("import").arg(&file).args([
        "--no-progress",
        "--rate-limit",
        "15",
        "--max-retries",
        "0",
    ]);
    command.args(connection_flags(&emulator));
    run(command, None).expect_code(0);
    assert_eq!(emulator.state().users().len(), 30);
    assert!(emulator.state().requests().iter().all(|r| r.status == 200));

    let mut refused = logrocket(dir.path());
    refused
        .arg("import")
        .arg(&file)
        .args(["--no-progress", "--rate-limit", "0"]);
    refused.args(connection_flags(&emulator));
    let outcome = run(refused, None);
    outcome.expect_code(2);
    assert!(outcome.stderr.contains("rate limit"), "{}", outcome.stderr);
}

/// `--concurrency 0` is the core's configuration error, a usage error here; nothing is sent.
#[test]
fn a_concurrency_of_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let file = write_file(dir.path(), "one.csv", "user_id\nu1\n");
    let mut command = logrocket(dir.path());
    command
        .arg("import")
        .arg(&file)
        .args(["--no-progress", "--concurrency", "0"]);
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(2);
    assert!(
        outcome.stderr.contains("concurrency must be at least 1"),
        "{}",
        outcome.stderr
    );
    assert!(emulator.state().requests().is_empty());
}
