//! Runs every case of tests/vectors/*.json through the Rust client, end to end against the
//! emulator over loopback, comparing what went on the wire (from the emulator's request log)
//! or the error raised.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use logrocket_emulator::{Emulator, EmulatorConfig};
use logrocket_identify::{BlockingClient, Client, IdentifyRequest, User};
use serde_json::Value;

fn vector_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    files
}

/// JSON equality where numbers compare by value (2 and 2.0 are equal), as the vectors specify.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_json(v, w))
        }
        _ => a == b,
    }
}

fn user_as_json(user: &User) -> Value {
    let mut json = serde_json::json!({ "user_id": user.user_id, "traits": user.traits });
    if let Some(name) = &user.name {
        json["name"] = name.clone().into();
    }
    if let Some(email) = &user.email {
        json["email"] = email.clone().into();
    }
    json
}

fn expected_user(expect: &Value) -> Value {
    let mut user = expect["user"].clone();
    if user.get("traits").is_none() {
        user["traits"] = serde_json::json!({});
    }
    user
}

#[test]
fn every_vector_passes_end_to_end() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in vector_files() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let client = Client::builder()
            .api_key(emulator.api_key())
            .org_id(doc["org_id"].as_str().unwrap())
            .app_id(doc["app_id"].as_str().unwrap())
            .base_url(emulator.url())
            .max_retries(0)
            .build_blocking()
            .unwrap();
        for case in doc["cases"].as_array().unwrap() {
            ran += 1;
            let name = case["name"].as_str().unwrap();
            if let Err(why) = run_case(&emulator, &client, case) {
                failures.push(format!("{} / {name}: {why}", file.display()));
            }
        }
    }
    assert!(ran >= 50, "only {ran} vector cases found");
    assert!(
        failures.is_empty(),
        "{} of {ran} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{ran} vector cases passed");
}

fn run_case(emulator: &Emulator, client: &BlockingClient, case: &Value) -> Result<(), String> {
    emulator.state().reset();
    for setup in case["setup"].as_array().into_iter().flatten() {
        let request = IdentifyRequest::from_json_value(setup).map_err(|e| format!("setup: {e}"))?;
        client
            .identify(&request)
            .map_err(|e| format!("setup failed: {e}"))?;
    }
    let sent_before = emulator.state().requests().len();
    let outcome = IdentifyRequest::from_json_value(&case["input"])
        .map_err(logrocket_identify::Error::from)
        .and_then(|request| client.identify(&request));
    let requests = emulator.state().requests();
    let expect = &case["expect"];
    if let Some(error) = expect.get("error") {
        let Err(actual) = outcome else {
            return Err(format!("expected error {error}, got success"));
        };
        let mut got = serde_json::json!({
            "kind": actual.kind().as_str(),
            "message": actual.message(),
            "field": actual.field(),
        });
        // The whole text, where the vector gives it, is what every language shows.
        if error.get("text").is_some() {
            got["text"] = Value::String(actual.to_string());
        }
        let mut want = error.clone();
        if want.get("field").is_none() {
            want["field"] = Value::Null;
        }
        if got != want {
            return Err(format!("error {got} != expected {want}"));
        }
        if actual.kind() == logrocket_identify::ErrorKind::Validation
            && requests.len() != sent_before
        {
            return Err("a validation error still sent a request".into());
        }
        return Ok(());
    }
    let user = outcome.map_err(|e| format!("expected success, got {e}"))?;
    if requests.len() != sent_before + 1 {
        return Err(format!(
            "expected one request, saw {}",
            requests.len() - sent_before
        ));
    }
    let wire = &requests[requests.len() - 1];
    let want = &expect["request"];
    if wire.method != want["method"] {
        return Err(format!("method {} != {}", wire.method, want["method"]));
    }
    if wire.path != want["path"] {
        return Err(format!("path {} != {}", wire.path, want["path"]));
    }
    let body: Value =
        serde_json::from_str(&wire.body).map_err(|e| format!("body not JSON: {e}"))?;
    if !same_json(&body, &want["body"]) {
        return Err(format!("body {body} != {}", want["body"]));
    }
    let (got, want) = (user_as_json(&user), expected_user(expect));
    if !same_json(&got, &want) {
        return Err(format!("user {got} != {want}"));
    }
    Ok(())
}
