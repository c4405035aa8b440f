//! The hostile-input corpus (tests/vectors/hostile/hostile.json) through the Rust core, end to
//! end against the emulator: every case must give exactly its recorded outcome, through each of
//! the three ways Rust code can hand the core an input:
//!
//! - the JSON value form, `IdentifyRequest::from_json_value` (the dynamic entry point, and the
//!   one the outcomes are recorded from);
//! - the typed builder, `IdentifyRequest::new(..).name(..).trait_value(..)`, where the input
//!   can be said with it (a string id, string name and email, an `i64` timestamp);
//! - the JSON text form, `IdentifyRequest::from_json_str` (what the C and Go bindings and the
//!   CLI's JSON Lines import use).
//!
//! The ignored test `record_hostile_outcomes` is the recorder that
//! tests/vectors/hostile/generate.py runs to write the expectations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use logrocket_emulator::{Emulator, EmulatorConfig};
use logrocket_identify::limits::MSG_MALFORMED;
use logrocket_identify::{BlockingClient, Client, Error, IdentifyRequest, TraitValue, User};
use serde_json::{Map, Number, Value, json};

fn corpus_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/hostile/hostile.json")
}

// --- expanding the corpus's generators -----------------------------------------------------------

/// A string the case describes that no Rust `String` can hold (a lone surrogate, bytes that are
/// not UTF-8), and the field it sits in.
#[derive(Debug, Clone)]
struct InvalidText {
    field: String,
}

/// Which generator `spec` is: an object with exactly one generator's keys. Any other object,
/// `$` keys or not, is a plain object.
fn generator(spec: &Value) -> Option<&'static str> {
    const GENERATORS: &[(&str, &[&str])] = &[
        ("$repeat", &["$repeat", "times"]),
        ("$utf16", &["$utf16"]),
        ("$bytes", &["$bytes"]),
        ("$concat", &["$concat"]),
        ("$nest", &["$nest", "depth", "leaf"]),
        ("$int", &["$int"]),
        ("$float", &["$float"]),
        ("$names", &["$names"]),
    ];
    let object = spec.as_object()?;
    GENERATORS
        .iter()
        .find(|(_, keys)| {
            object.len() == keys.len() && keys.iter().all(|k| object.contains_key(*k))
        })
        .map(|(name, _)| *name)
}

/// The string a string or string generator stands for; `Ok(None)` when `spec` is no string.
fn expand_text(spec: &Value) -> Result<Option<String>, ()> {
    let Some(object) = spec.as_object() else {
        return Ok(spec.as_str().map(str::to_owned));
    };
    let kind = generator(spec);
    if kind == Some("$repeat") {
        let unit = &object["$repeat"];
        let times = object["times"].as_u64().unwrap();
        return Ok(Some(
            unit.as_str()
                .unwrap()
                .repeat(usize::try_from(times).unwrap()),
        ));
    }
    if kind == Some("$utf16") {
        let units: Vec<u16> = object["$utf16"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u16::try_from(u.as_u64().unwrap()).unwrap())
            .collect();
        return String::from_utf16(&units).map(Some).map_err(|_| ());
    }
    if kind == Some("$bytes") {
        return String::from_utf8(hex_bytes(object["$bytes"].as_str().unwrap()))
            .map(Some)
            .map_err(|_| ());
    }
    if kind == Some("$concat") {
        let mut out = String::new();
        for part in object["$concat"].as_array().unwrap() {
            out.push_str(&expand_text(part)?.unwrap());
        }
        return Ok(Some(out));
    }
    Ok(None)
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// `spec` with every generator expanded, in the core's JSON input form: `$int` becomes a JSON
/// integer when it fits 64 bits and the core's `$bigint` marker otherwise; `$float` markers stay.
/// `field` names where `spec` sits, for the error of a string no `String` can hold.
fn expand(spec: &Value, field: &str) -> Result<Value, InvalidText> {
    let invalid = || InvalidText {
        field: field.to_owned(),
    };
    match expand_text(spec) {
        Ok(Some(text)) => return Ok(Value::String(text)),
        Err(()) => return Err(invalid()),
        Ok(None) => {}
    }
    match spec {
        Value::Array(items) => items
            .iter()
            .map(|item| expand(item, field))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Value::Object(object) => {
            let generated = generator(spec);
            if generated == Some("$nest") {
                let kind = &object["$nest"];
                let depth = object["depth"].as_u64().unwrap();
                let mut value = expand(&object["leaf"], field)?;
                for _ in 0..depth {
                    value = if kind == "array" {
                        Value::Array(vec![value])
                    } else {
                        let mut wrapper = Map::new();
                        wrapper.insert("n".into(), value);
                        Value::Object(wrapper)
                    };
                }
                return Ok(value);
            }
            if generated == Some("$int") {
                let digits = object["$int"].as_str().unwrap();
                if let Ok(i) = digits.parse::<i64>() {
                    return Ok(Value::Number(i.into()));
                }
                if let Ok(u) = digits.parse::<u64>() {
                    return Ok(Value::Number(u.into()));
                }
                return Ok(json!({ "$bigint": digits }));
            }
            if generated == Some("$names") {
                let names = &object["$names"];
                let count = names["count"].as_u64().unwrap();
                let key = expand_text(&names["key"]).unwrap().unwrap();
                return Ok(Value::Array(
                    (0..count)
                        .map(|i| Value::String(format!("{key}{i}")))
                        .collect(),
                ));
            }
            // `traits` members are named `traits.<key>`; a bad key is `traits` itself.
            let child = |key: &str| {
                if field == "traits" {
                    format!("traits.{key}")
                } else {
                    field.to_owned()
                }
            };
            let mut out = Map::new();
            for (key, member) in object {
                match key.as_str() {
                    "$many" => {
                        let count = member["count"].as_u64().unwrap();
                        let prefix = expand_text(&member["key"]).unwrap().unwrap();
                        let value = expand(&member["value"], &child(&prefix))?;
                        for i in 0..count {
                            out.insert(format!("{prefix}{i}"), value.clone());
                        }
                    }
                    "$entries" => {
                        for entry in member.as_array().unwrap() {
                            let key = expand_text(&entry[0]).map_err(|()| invalid())?.unwrap();
                            let value = expand(&entry[1], &child(&key))?;
                            out.insert(key, value);
                        }
                    }
                    _ => {
                        out.insert(key.clone(), expand(member, &child(key))?);
                    }
                }
            }
            Ok(Value::Object(out))
        }
        _ => Ok(spec.clone()),
    }
}

/// The input's fields expanded in the order the core checks them, so the first string no
/// `String` can hold is reported where the core would report it. Unset names are trait keys.
fn expand_input(spec: &Value) -> Result<Value, InvalidText> {
    let mut out = Map::new();
    let mut first_invalid = None;
    for key in ["user_id", "name", "email", "timestamp", "traits", "unset"]
        .into_iter()
        .chain(spec.as_object().unwrap().keys().map(String::as_str))
    {
        if out.contains_key(key) {
            continue;
        }
        let Some(member) = spec.get(key) else {
            continue;
        };
        let field = if key == "unset" { "traits" } else { key };
        match expand(member, field) {
            Ok(value) => {
                out.insert(key.to_owned(), value);
            }
            Err(invalid) => {
                first_invalid.get_or_insert(invalid);
            }
        }
    }
    match first_invalid {
        Some(invalid) => {
            drop_deep(Value::Object(out));
            Err(invalid)
        }
        None => Ok(Value::Object(out)),
    }
}

/// Drops a value without recursing: the generated ones nest 100,000 deep.
fn drop_deep(value: Value) {
    let mut stack = vec![value];
    while let Some(mut value) = stack.pop() {
        match &mut value {
            Value::Array(items) => stack.append(items),
            Value::Object(object) => {
                stack.extend(std::mem::take(object).into_iter().map(|(_, v)| v))
            }
            _ => {}
        }
    }
}

/// The input as JSON text, written from the spec (so nesting 100,000 deep costs no recursion).
/// Lone surrogates are written as `\uXXXX` escapes, which JSON's grammar allows; `None` when the
/// input holds bytes that are not UTF-8, which a Rust `&str` cannot.
fn input_text(spec: &Value) -> Option<String> {
    let mut out = String::new();
    write_text(spec, &mut out).then_some(out)
}

/// The inside of a JSON string for a string or string generator, lone surrogates as escapes.
fn write_string_body(spec: &Value, out: &mut String) -> bool {
    if generator(spec) == Some("$utf16") {
        for unit in spec["$utf16"].as_array().unwrap() {
            out.push_str(&format!("\\u{:04x}", unit.as_u64().unwrap()));
        }
        return true;
    }
    if generator(spec) == Some("$concat") {
        return spec["$concat"]
            .as_array()
            .unwrap()
            .iter()
            .all(|part| write_string_body(part, out));
    }
    match expand_text(spec) {
        Ok(Some(text)) => {
            let quoted = serde_json::to_string(&text).unwrap();
            out.push_str(&quoted[1..quoted.len() - 1]);
            true
        }
        _ => false,
    }
}

fn write_text(spec: &Value, out: &mut String) -> bool {
    if let Some(object) = spec.as_object() {
        let generated = generator(spec);
        if matches!(generated, Some("$utf16" | "$concat")) {
            out.push('"');
            let ok = write_string_body(spec, out);
            out.push('"');
            return ok;
        }
        match expand_text(spec) {
            Ok(Some(text)) => {
                out.push_str(&serde_json::to_string(&text).unwrap());
                return true;
            }
            Err(()) => return false,
            Ok(None) => {}
        }
        if generated == Some("$nest") {
            let kind = &object["$nest"];
            let depth = usize::try_from(object["depth"].as_u64().unwrap()).unwrap();
            let (open, close) = if kind == "array" {
                ("[", "]")
            } else {
                ("{\"n\":", "}")
            };
            out.push_str(&open.repeat(depth));
            if !write_text(&object["leaf"], out) {
                return false;
            }
            out.push_str(&close.repeat(depth));
            return true;
        }
        if matches!(generated, Some("$int" | "$names")) {
            let value = expand(spec, "").unwrap();
            out.push_str(&value.to_string());
            return true;
        }
        out.push('{');
        let mut first = true;
        for (key, member) in object {
            let entries: Vec<(Value, &Value)> = match key.as_str() {
                "$many" => {
                    let prefix = expand_text(&member["key"]).unwrap().unwrap();
                    (0..member["count"].as_u64().unwrap())
                        .map(|i| (Value::String(format!("{prefix}{i}")), &member["value"]))
                        .collect()
                }
                "$entries" => member
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| (e[0].clone(), &e[1]))
                    .collect(),
                _ => vec![(Value::String(key.clone()), member)],
            };
            for (key, member) in entries {
                if !first {
                    out.push(',');
                }
                first = false;
                if !write_text(&key, out) {
                    return false;
                }
                out.push(':');
                if !write_text(member, out) {
                    return false;
                }
            }
        }
        out.push('}');
        return true;
    }
    if let Some(items) = spec.as_array() {
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if !write_text(item, out) {
                return false;
            }
        }
        out.push(']');
        return true;
    }
    out.push_str(&spec.to_string());
    true
}

// --- the typed builder -----------------------------------------------------------------------------

/// The input through the typed builder, or `None` when it cannot say it (a wrong type, an
/// unknown field, a timestamp beyond `i64`).
fn typed_request(input: &Value) -> Option<IdentifyRequest> {
    let object = input.as_object()?;
    let mut request = IdentifyRequest::new(object.get("user_id")?.as_str()?);
    for (key, value) in object {
        match (key.as_str(), value) {
            ("user_id", _) | (_, Value::Null) => {}
            ("name", Value::String(name)) => request = request.name(name.as_str()),
            ("email", Value::String(email)) => request = request.email(email.as_str()),
            ("timestamp", Value::Number(ms)) => request = request.timestamp_ms(ms.as_i64()?),
            ("traits", Value::Object(traits)) => {
                for (key, value) in traits {
                    request = request.trait_value(key.as_str(), typed_value(value)?);
                }
            }
            ("unset", Value::Array(keys)) => {
                for key in keys {
                    request = request.unset(key.as_str()?);
                }
            }
            _ => return None,
        }
    }
    Some(request)
}

fn typed_value(value: &Value) -> Option<TraitValue> {
    Some(match value {
        Value::Null => TraitValue::Remove,
        Value::Bool(b) => TraitValue::from(*b),
        Value::String(s) => TraitValue::from(s.as_str()),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => TraitValue::from(i),
            (None, Some(u)) => TraitValue::from(u),
            _ => TraitValue::from(n.as_f64()?),
        },
        Value::Object(object) if object.len() == 1 && object.contains_key("$bigint") => {
            TraitValue::big_integer(object["$bigint"].as_str()?)
        }
        Value::Object(object) if object.len() == 1 && object.contains_key("$float") => {
            TraitValue::from(match object["$float"].as_str()? {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                _ => f64::NEG_INFINITY,
            })
        }
        // What every binding makes of a value the API cannot hold.
        Value::Object(_) => TraitValue::Unsupported("an object".into()),
        Value::Array(_) => TraitValue::Unsupported("an array".into()),
    })
}

// --- running a case --------------------------------------------------------------------------------

struct Runner {
    emulator: Emulator,
    client: BlockingClient,
}

impl Runner {
    fn new() -> Self {
        let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
        let client = builder(&emulator).build_blocking().unwrap();
        Runner { emulator, client }
    }

    /// The client a case asks for: the shared one, or one with the case's API key and user agent.
    fn client_for(&self, case: &Value) -> Result<Option<BlockingClient>, Error> {
        let Some(config) = case.get("config") else {
            return Ok(None);
        };
        let mut builder = builder(&self.emulator);
        if let Some(key) = config.get("api_key") {
            builder = builder.api_key(expand_text(key).unwrap().unwrap());
        }
        if let Some(agent) = config.get("user_agent") {
            builder = builder.user_agent(expand_text(agent).unwrap().unwrap());
        }
        builder.build_blocking().map(Some)
    }

    /// What identifying `request` gives: the request on the wire and the user, or the error.
    fn outcome(
        &self,
        case: &Value,
        request: Result<IdentifyRequest, Error>,
    ) -> Result<Value, String> {
        self.emulator.state().reset();
        let own = match self.client_for(case) {
            Ok(own) => own,
            Err(error) => return Ok(error_outcome(&error)),
        };
        let client = own.as_ref().unwrap_or(&self.client);
        let result = request.and_then(|request| client.identify(&request));
        let state = self.emulator.state();
        let sent = state.request_count();
        let user = match result {
            Err(error) => {
                if error.kind() == logrocket_identify::ErrorKind::Validation && sent != 0 {
                    return Err(format!("a validation error sent {sent} request(s)"));
                }
                return Ok(error_outcome(&error));
            }
            Ok(user) => user,
        };
        if sent != 1 {
            return Err(format!("success after {sent} requests, expected 1"));
        }
        let wire = state.request(0).unwrap();
        let body: Value = serde_json::from_str(&wire.body).map_err(|e| format!("body: {e}"))?;
        Ok(json!({
            "request": {"method": wire.method, "path": wire.path, "body": body},
            "user": user_json(&user),
        }))
    }
}

fn builder(emulator: &Emulator) -> logrocket_identify::ClientBuilder {
    Client::builder()
        .api_key(emulator.api_key())
        .org_id("acme")
        .app_id("web")
        .base_url(emulator.url())
        .max_retries(0)
        .proxy_from_env(false)
}

fn error_outcome(error: &Error) -> Value {
    let mut out = json!({"kind": error.kind().as_str(), "message": error.message()});
    if let Some(field) = error.field() {
        out["field"] = field.into();
    }
    // The whole text, where no detail in the caller's language's words is part of it.
    let detail = match error {
        Error::Validation(v) => v.detail.is_some(),
        _ => false,
    };
    if !detail {
        out["text"] = error.to_string().into();
    }
    json!({ "error": out })
}

/// The core's answer for a string no Rust `String` can hold, as every binding gives it.
fn invalid_text_outcome(invalid: &InvalidText) -> Value {
    json!({"error": {"kind": "validation", "message": MSG_MALFORMED, "field": invalid.field}})
}

fn user_json(user: &User) -> Value {
    let mut out = json!({ "user_id": user.user_id, "traits": user.traits });
    if let Some(name) = &user.name {
        out["name"] = name.clone().into();
    }
    if let Some(email) = &user.email {
        out["email"] = email.clone().into();
    }
    out
}

/// The outcome of the input in the JSON value form: how the expectations are recorded.
fn value_outcome(runner: &Runner, case: &Value) -> Result<Value, String> {
    match expand_input(&case["input"]) {
        Err(invalid) => Ok(invalid_text_outcome(&invalid)),
        Ok(input) => {
            let request = IdentifyRequest::from_json_value(&input).map_err(Error::from);
            drop_deep(input);
            runner.outcome(case, request)
        }
    }
}

/// JSON equality with numbers compared by value (2 and 2.0 are equal), as the vectors specify.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
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

fn numbers_equal(x: &Number, y: &Number) -> bool {
    match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
        (Some(a), Some(b), _, _) => a == b,
        (_, _, Some(a), Some(b)) => a == b,
        _ => x.as_f64() == y.as_f64(),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 300 {
        let start: String = text.chars().take(300).collect();
        format!("{start}… ({} bytes)", text.len())
    } else {
        text
    }
}

fn corpus() -> Value {
    serde_json::from_str(&std::fs::read_to_string(corpus_path()).unwrap()).unwrap()
}

/// Runs every case of the corpus for which `pick` says yes, through each path that can say it.
/// Returns how many cases ran.
fn run_cases(pick: impl Fn(&str) -> bool) -> usize {
    let started = Instant::now();
    let doc = corpus();
    let runner = Runner::new();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if !pick(case["category"].as_str().unwrap()) {
            continue;
        }
        let case_started = Instant::now();
        if let Some(skip) = case.pointer("/languages/rust/skip") {
            println!("skip {name}: {skip}");
            *counts.entry("skipped").or_default() += 1;
            continue;
        }
        let want = match case.pointer("/languages/rust/expect") {
            Some(want) => expand(want, "").unwrap(),
            None => expand(&case["expect"], "").unwrap(),
        };
        let mut check = |path: &'static str, got: Result<Value, String>| {
            *counts.entry(path).or_default() += 1;
            match got {
                Ok(got) if same_json(&got, &want) => {}
                Ok(got) => failures.push(format!(
                    "{name} ({path}): got {}, expected {}",
                    short(&got),
                    short(&want)
                )),
                Err(why) => failures.push(format!("{name} ({path}): {why}")),
            }
        };
        check("json value", value_outcome(&runner, case));
        // 100,000 traits take about a second a path in a debug build: the value path only. Go
        // sends them as JSON text, C through its builder.
        if case["category"] == "many-traits" {
            continue;
        }

        if let Ok(input) = expand_input(&case["input"]) {
            if let Some(request) = typed_request(&input) {
                check("typed builder", runner.outcome(case, Ok(request)));
            }
            drop_deep(input);
        }

        if let Some(text) = input_text(&case["input"]) {
            let request = IdentifyRequest::from_json_str(&text).map_err(Error::from);
            let got = runner.outcome(case, request);
            let agrees = matches!(&got, Ok(got) if same_json(got, &want));
            // A known core issue: the text reader answers differently. Once it agrees, the
            // corpus's `known_issue` entry must go (tests/vectors/hostile/generate.py).
            match case.pointer("/known_issue/json_text") {
                Some(_) if agrees => failures.push(format!(
                    "{name} (json text): agrees now: remove its known_issue in generate.py"
                )),
                Some(_) => *counts.entry("json text, known core issue").or_default() += 1,
                None => check("json text", got),
            }
        }
        if std::env::var_os("LR_HOSTILE_TIMES").is_some() {
            println!(
                "{:6.0} ms {name}",
                case_started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} hostile case paths failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "hostile cases: {counts:?} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    counts.get("json value").copied().unwrap_or(0)
}

// Three tests, so the test harness runs them side by side.
const HEAVY: &[&str] = &["many-traits", "deep-nesting", "huge-strings"];

#[test]
fn hostile_many_traits() {
    assert!(run_cases(|category| category == "many-traits") >= 4);
}

#[test]
fn hostile_deep_nesting_and_huge_strings() {
    assert!(run_cases(|category| HEAVY[1..].contains(&category)) >= 20);
}

#[test]
fn hostile_everything_else() {
    assert!(run_cases(|category| !HEAVY.contains(&category)) >= 100);
}

#[test]
fn the_corpus_covers_every_category() {
    let doc = corpus();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 100, "only {} hostile cases", cases.len());
    for category in doc["categories"].as_object().unwrap().keys() {
        assert!(
            cases.iter().any(|c| c["category"] == *category),
            "no case in {category}"
        );
    }
}

/// Writes the core's outcome for every case of `$LR_HOSTILE_CASES` to `$LR_HOSTILE_OUTCOMES`
/// (`{name: outcome}`). Run by tests/vectors/hostile/generate.py.
#[test]
#[ignore = "the recorder, run by tests/vectors/hostile/generate.py"]
fn record_hostile_outcomes() {
    let cases = std::env::var("LR_HOSTILE_CASES").expect("LR_HOSTILE_CASES");
    let outcomes = std::env::var("LR_HOSTILE_OUTCOMES").expect("LR_HOSTILE_OUTCOMES");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(cases).unwrap()).unwrap();
    let runner = Runner::new();
    let mut out = Map::new();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let outcome = value_outcome(&runner, case).unwrap_or_else(|why| panic!("{name}: {why}"));
        out.insert(name.to_owned(), outcome);
    }
    std::fs::write(outcomes, serde_json::to_vec(&Value::Object(out)).unwrap()).unwrap();
}
