//! `logrocket identify`: one user printed back as JSON; configuration errors; the key's secrecy.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    connection_flags, emulator, emulator_with_key, logrocket, run, stored_traits, traits,
    write_file,
};
use serde_json::{Value, json};

fn printed_user(stdout: &str) -> Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON user ({e}):\n{stdout}"))
}

#[test]
fn identify_prints_the_stored_user_then_unset_removes_a_trait() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let mut command = logrocket(dir.path());
    command.args([
        "identify",
        "user 1/a",
        "--name",
        "Ann",
        "--email",
        "ann@example.com",
        "--timestamp",
        "1700000000000",
        "--trait",
        "plan=pro",
        "--trait",
        "revenue=10",
        "--trait",
        "formula=a=b",
    ]);
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(0);
    assert_eq!(
        printed_user(&outcome.stdout),
        json!({"user_id": "user 1/a", "name": "Ann", "email": "ann@example.com",
               "traits": {"formula": "a=b", "plan": "pro", "revenue": "10"}})
    );

    let mut command = logrocket(dir.path());
    command.args([
        "identify", "user 1/a", "--unset", "plan", "--trait", "seats=3",
    ]);
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(0);
    let user = printed_user(&outcome.stdout);
    assert_eq!(user["user_id"], "user 1/a");
    assert_eq!(
        user["traits"],
        json!({"formula": "a=b", "revenue": "10", "seats": "3"})
    );
    assert_eq!(
        stored_traits(&emulator, "user 1/a"),
        traits(&[("formula", "a=b"), ("revenue", "10"), ("seats", "3")])
    );
}

#[test]
fn a_trait_without_equals_sign_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let mut command = logrocket(dir.path());
    command.args(["identify", "u1", "--trait", "plan"]);
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(2);
    assert!(outcome.stderr.contains("key=value"), "{}", outcome.stderr);
    assert!(emulator.state().requests().is_empty());
}

#[test]
fn an_invalid_user_fails_with_the_api_message_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let mut command = logrocket(dir.path());
    command.args(["identify", "u1", "--email", &"e".repeat(1025)]);
    command.args(connection_flags(&emulator));
    let outcome = run(command, None);
    outcome.expect_code(2);
    assert!(
        outcome
            .stderr
            .contains("email too large (max 1024 characters)"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stdout.is_empty());
    assert!(emulator.state().requests().is_empty());
}

#[test]
fn a_missing_api_key_names_the_flag_and_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = logrocket(dir.path());
    command.args(["identify", "u1", "--app", "acme/shop"]);
    let outcome = run(command, None);
    outcome.expect_code(2);
    assert!(outcome.stdout.is_empty());
    assert!(outcome.stderr.contains("--api-key"), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("LOGROCKET_API_KEY"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn a_missing_app_names_the_flag_and_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = logrocket(dir.path());
    command.args(["identify", "u1", "--api-key", "k"]);
    let outcome = run(command, None);
    outcome.expect_code(2);
    assert!(outcome.stderr.contains("--app"), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("LOGROCKET_APP_ID"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn configuration_from_the_environment_works() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator();
    let mut command = logrocket(dir.path());
    command
        .args(["identify", "env-user", "--trait", "plan=free"])
        .env("LOGROCKET_API_KEY", emulator.api_key())
        .env("LOGROCKET_APP_ID", "acme/shop")
        .env("LOGROCKET_BASE_URL", emulator.url());
    run(command, None).expect_code(0);
    assert_eq!(
        stored_traits(&emulator, "env-user"),
        traits(&[("plan", "free")])
    );
}

/// Distinctive enough that finding it anywhere in an output means it leaked.
const SECRET_KEY: &str = "lrk_Zq8vX3-never-print-me-41c9";
const WRONG_KEY: &str = "lrk_Wy7uT2-also-never-printed-88d0";

fn assert_no_key(what: &str, text: &str) {
    for key in [SECRET_KEY, WRONG_KEY] {
        assert!(!text.contains(key), "{what} shows the API key:\n{text}");
        // Nor a recognisable piece of it.
        assert!(
            !text.contains(&key[4..16]),
            "{what} shows part of the key:\n{text}"
        );
    }
}

#[test]
fn the_api_key_never_appears_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator_with_key(SECRET_KEY);
    let app = format!("{}/{}", common::ORG, common::APP);
    let base = |key: Option<&str>| {
        let mut command = logrocket(dir.path());
        if let Some(key) = key {
            command.env("LOGROCKET_API_KEY", key);
        }
        command
            .env("LOGROCKET_APP_ID", &app)
            .env("LOGROCKET_BASE_URL", emulator.url())
            // Every log line the client and its HTTP stack can write.
            .env("LOGROCKET_LOG", "trace");
        command
    };
    let bad_csv = write_file(
        dir.path(),
        "users.csv",
        &format!(
            "user_id,name,plan\nu1,Ann,pro\nu2,{},free\n",
            "n".repeat(1025)
        ),
    );

    let mut runs = Vec::new();
    // A success, through the environment and through the flag.
    let mut command = base(Some(SECRET_KEY));
    command.args(["identify", "u1", "--trait", "plan=pro"]);
    let outcome = run(command, None);
    outcome.expect_code(0);
    runs.push(("identify", outcome.stdout + &outcome.stderr, None));
    let mut command = base(None);
    command.args(["identify", "u1", "--api-key", SECRET_KEY]);
    let outcome = run(command, None);
    outcome.expect_code(0);
    runs.push(("identify --api-key", outcome.stdout + &outcome.stderr, None));
    // A key the server refuses.
    let mut command = base(Some(WRONG_KEY));
    command.args(["identify", "u1"]);
    let outcome = run(command, None);
    outcome.expect_code(2);
    assert!(outcome.stderr.contains("401"), "{}", outcome.stderr);
    runs.push(("a refused key", outcome.stdout + &outcome.stderr, None));
    // An import with a bad row, and its rejects file.
    let mut command = base(Some(SECRET_KEY));
    command.arg("import").arg(&bad_csv).arg("--no-progress");
    let outcome = run(command, None);
    outcome.expect_code(1);
    let rejects = std::fs::read_to_string(dir.path().join("users.csv.rejects.jsonl")).unwrap();
    runs.push(("import", outcome.stdout + &outcome.stderr, Some(rejects)));
    // A configuration error and the help, with the key in the environment.
    let mut command = base(Some(SECRET_KEY));
    command
        .env_remove("LOGROCKET_APP_ID")
        .args(["identify", "u1"]);
    let outcome = run(command, None);
    outcome.expect_code(2);
    runs.push(("a config error", outcome.stdout + &outcome.stderr, None));
    for help in [["identify", "--help"], ["import", "--help"]] {
        let mut command = base(Some(SECRET_KEY));
        command.args(help);
        let outcome = run(command, None);
        outcome.expect_code(0);
        assert!(outcome.stdout.contains("--api-key"));
        runs.push(("--help", outcome.stdout + &outcome.stderr, None));
    }

    for (what, output, rejects) in &runs {
        assert_no_key(what, output);
        if let Some(rejects) = rejects {
            assert_no_key("the rejects file", rejects);
        }
    }
    // The key was really used: the emulator saw it on the wire.
    let sent = emulator.state().requests();
    assert!(
        sent.iter()
            .any(|r| r.headers.get("authorization").map(String::as_str)
                == Some(&format!("token {SECRET_KEY}"))),
        "{sent:?}"
    );
}

#[test]
fn identify_against_the_embedded_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = logrocket(dir.path());
    command.args(["identify", "u-42", "--emulator", "--trait", "plan=pro"]);
    let outcome = run(command, None);
    outcome.expect_code(0);
    let user = printed_user(&outcome.stdout);
    assert_eq!(user["user_id"], "u-42");
    assert_eq!(user["traits"], json!({"plan": "pro"}));
    assert!(
        outcome.stderr.contains("the emulator stored:"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("\"u-42\""), "{}", outcome.stderr);
}
