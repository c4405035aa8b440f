//! The emulator's request handling, in-process: a few requests per input go through its router
//! (tower's `oneshot`, no sockets), some as the client library makes them, some of any method,
//! target, headers and body (the input format is at `build`). Each answer must be well formed
//! (a known status, JSON, the API's messages) and must be what a plain model of the API says:
//! routing, auth, body rules read through `serde_json::Value`s, and the merge of every accepted
//! update into a map of users, which the answer, the stored user and the client's reading of
//! the answer must match. Every request the client library encodes must be accepted.

#![no_main]

mod known_keys;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, Uri, header};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use logrocket_emulator::{EmulatorConfig, EmulatorState, router};
use logrocket_identify::{IdentifyRequest, User, user_path};
use percent_encoding::percent_decode_str;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use tower::ServiceExt;

const API_KEY: &str = "test";
const MAX_STEPS: usize = 8;
/// Between the requests of an input.
const SEP: &[u8] = b"\n~~~\n";

/// A user as the model has it.
#[derive(Debug, Clone, PartialEq)]
struct ModelUser {
    name: Option<String>,
    email: Option<String>,
    traits: BTreeMap<String, String>,
    /// First and last seen, while every update of the user carried a timestamp.
    seen: Option<(i64, i64)>,
}

/// An accepted body, as the model reads it.
struct Update {
    name: Option<String>,
    email: Option<String>,
    timestamp: Option<i64>,
    /// Last value per key; `None` removes.
    traits: BTreeMap<String, Option<String>>,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fn emulator() -> &'static (EmulatorState, axum::Router) {
    static EMULATOR: OnceLock<(EmulatorState, axum::Router)> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let state = EmulatorState::new(&EmulatorConfig::default());
        (state.clone(), router(state))
    })
}

fuzz_target!(|data: &[u8]| {
    let (state, router) = emulator();
    state.reset();
    let mut users: HashMap<(String, String, String), ModelUser> = HashMap::new();
    for step in split(data, SEP).take(MAX_STEPS) {
        let Some((request, body, from_client)) = build(step) else {
            continue;
        };
        let method = request.method().clone();
        let uri = request.uri().clone();
        let headers = request.headers().clone();
        let logged_before = state.request_count();
        let response = runtime().block_on(async {
            let response = router.clone().oneshot(request).await.expect("infallible");
            let (parts, body) = response.into_parts();
            let body = body.collect().await.expect("an answer body").to_bytes();
            (parts, body)
        });
        let (parts, answer) = response;
        let status = parts.status;
        let expected = model(&method, &uri, &headers, &body);
        let context = || {
            format!(
                "{method} {uri} {headers:?} body {:?}\n answered {status} {:?}",
                String::from_utf8_lossy(&body),
                String::from_utf8_lossy(&answer)
            )
        };
        assert_eq!(
            parts
                .headers
                .get(header::CONTENT_TYPE)
                .map(HeaderValue::as_bytes),
            Some(&b"application/json"[..]),
            "{}",
            context()
        );
        // Every API request is logged, with the status it got.
        assert_eq!(state.request_count(), logged_before + 1, "{}", context());
        let logged = state.request(logged_before).expect("the logged request");
        assert_eq!(logged.status, status.as_u16(), "{}", context());
        assert_eq!(logged.method, method.as_str());
        assert_eq!(logged.body, String::from_utf8_lossy(&body));
        let answer_json: Value = serde_json::from_slice(&answer)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", context()));
        match expected {
            Err((expected_status, messages)) => {
                assert_eq!(status, expected_status, "{}", context());
                let message = answer_json.get("message").and_then(Value::as_str);
                assert!(
                    message.is_some_and(|m| messages.contains(m)),
                    "expected one of {messages:?}: {}",
                    context()
                );
                assert!(
                    !from_client || status != StatusCode::BAD_REQUEST,
                    "a request the client encoded was refused: {}",
                    context()
                );
                if status == StatusCode::METHOD_NOT_ALLOWED {
                    assert_eq!(
                        parts.headers.get(header::ALLOW).map(HeaderValue::as_bytes),
                        Some(&b"PUT"[..])
                    );
                }
            }
            Ok(_)
                if status == StatusCode::BAD_REQUEST
                    && !from_client
                    && answer_json["message"] == MALFORMED
                    && repeats_a_key(&body) =>
            {
                // Open question, not checked: a repeated key whose earlier value has the wrong
                // type ({"name": 5, "name": "x"}) fails the body, where JSON.parse would keep
                // the last value (a Go server's decoder would fail it too).
            }
            Ok((ids, update)) => {
                assert_eq!(status, StatusCode::OK, "{}", context());
                let user = merge(&mut users, &ids, update);
                check_user(state, &ids, user, &answer, &context);
            }
        }
    }
});

/// The HTTP request a step makes, its body, and whether the client library made it; `None`
/// when the step cannot be a request (no method, a target that is no URI, a bad header), or is
/// a control route under `/_emulator/` (which can inject delays and faults; not the API).
///
/// A step is either `CLIENT <identify input as JSON>`, sent as the client library encodes it
/// (to the app acme/web with the right key), or an HTTP/1.1 request in text: `METHOD TARGET`,
/// `name: value` lines, an empty line, the body.
fn build(step: &[u8]) -> Option<(Request<Body>, Vec<u8>, bool)> {
    if let Some(json) = step.strip_prefix(b"CLIENT ") {
        let request = IdentifyRequest::from_json_str(std::str::from_utf8(json).ok()?).ok()?;
        let body = request.encode_body().ok()?;
        let request = Request::builder()
            .method(Method::PUT)
            .uri(user_path("acme", "web", &request.user_id))
            .header(header::AUTHORIZATION, format!("token {API_KEY}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.clone()))
            .expect("a request the client makes");
        return Some((request, body, true));
    }
    let (head, body) = match find(step, b"\n\n") {
        Some(at) => (&step[..at], &step[at + 2..]),
        None => (step, &b""[..]),
    };
    let mut lines = split(head, b"\n");
    let request_line = lines.next()?;
    let space = find(request_line, b" ")?;
    let method = Method::from_bytes(&request_line[..space]).ok()?;
    let uri = Uri::try_from(&request_line[space + 1..]).ok()?;
    if uri.path().starts_with("/_emulator") {
        return None;
    }
    let mut builder = Request::builder().method(method).uri(uri);
    for line in lines {
        let colon = find(line, b":")?;
        let name = HeaderName::from_bytes(&line[..colon]).ok()?;
        let value = line[colon + 1..]
            .strip_prefix(b" ")
            .unwrap_or(&line[colon + 1..]);
        builder = builder.header(name, HeaderValue::from_bytes(value).ok()?);
    }
    let request = builder.body(Body::from(body.to_vec())).ok()?;
    Some((request, body.to_vec(), false))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn split<'a>(mut data: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match find(data, sep) {
            Some(at) => {
                let part = &data[..at];
                data = &data[at + sep.len()..];
                Some(part)
            }
            None => {
                done = true;
                Some(data)
            }
        }
    })
}

type Ids = (String, String, String);

/// What the API answers: the ids and the update to merge, or the status and the messages it may
/// answer with.
fn model(
    method: &Method,
    uri: &Uri,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<(Ids, Update), (StatusCode, BTreeSet<&'static str>)> {
    let fail = |status, message: &'static str| Err((status, BTreeSet::from([message])));
    let segments: Vec<&str> = uri.path().split('/').collect();
    let ["", "v1", "orgs", org, "apps", app, "users", user] = segments.as_slice() else {
        return fail(StatusCode::NOT_FOUND, "Not Found");
    };
    if org.is_empty() || app.is_empty() || user.is_empty() {
        return fail(StatusCode::NOT_FOUND, "Not Found");
    }
    if method != Method::PUT {
        return fail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    let authorized = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|value| value.as_bytes() == format!("token {API_KEY}").as_bytes());
    if !authorized {
        return fail(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let decode = |segment: &str| {
        percent_decode_str(segment)
            .decode_utf8()
            .ok()
            .map(|text| text.into_owned())
    };
    let (Some(org), Some(app), Some(user)) = (decode(org), decode(app), decode(user)) else {
        return fail(StatusCode::BAD_REQUEST, MALFORMED);
    };
    match read_body(&user, body) {
        Ok(update) => Ok(((org, app, user), update)),
        Err(messages) => Err((StatusCode::BAD_REQUEST, messages)),
    }
}

const MALFORMED: &str = "Malformed request";

/// The API's body rules, read through `Value`s (so a repeated key takes its last value, as
/// JSON.parse does): a JSON object; `name` and `email` strings, `timestamp` a non-negative
/// integer number, `traits` an object of strings, numbers, booleans and nulls; other keys
/// skipped (see `known_keys`). Then sizes (1024 characters): user id, name, email, each trait's
/// key and value.
fn read_body(user_id: &str, body: &[u8]) -> Result<Update, BTreeSet<&'static str>> {
    let one = |message| Err(BTreeSet::from([message]));
    if body.iter().all(u8::is_ascii_whitespace) {
        return one("Missing request body");
    }
    let Some(object) = known_keys::read(body, &["name", "email", "timestamp", "traits"]) else {
        return one(MALFORMED);
    };
    let text = |key: &str| match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    };
    let (Ok(name), Ok(email)) = (text("name"), text("email")) else {
        return one(MALFORMED);
    };
    let timestamp = match object.get("timestamp") {
        None => None,
        Some(Value::Number(n)) => {
            let whole = if let Some(i) = n.as_i64() {
                Some(i).filter(|i| *i >= 0)
            } else if n.is_u64() {
                None
            } else {
                // A float token, whole and within i64, is an integer number too (to JavaScript).
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && (0.0..9_223_372_036_854_775_808.0).contains(f))
                    .map(|f| f as i64)
            };
            match whole {
                Some(ms) => Some(ms),
                None => return one(MALFORMED),
            }
        }
        Some(_) => return one(MALFORMED),
    };
    let mut traits = BTreeMap::new();
    match object.get("traits") {
        None => {}
        Some(Value::Object(object)) => {
            for (key, value) in object {
                let value = match value {
                    Value::String(s) => (!s.is_empty()).then(|| s.clone()),
                    Value::Null => None,
                    Value::Bool(b) => Some(b.to_string()),
                    Value::Number(n) => Some(match (n.as_i64(), n.as_u64(), n.as_f64()) {
                        (Some(i), _, _) => i.to_string(),
                        (_, Some(u), _) => u.to_string(),
                        (_, _, Some(f)) => javascript_number(f),
                        _ => return one(MALFORMED),
                    }),
                    _ => return one(MALFORMED),
                };
                traits.insert(key.clone(), value);
            }
        }
        Some(_) => return one(MALFORMED),
    }
    let too_large = |s: &str| s.chars().count() > 1024;
    if too_large(user_id) {
        return one("userID too large (max 1024 characters)");
    }
    if name.as_deref().is_some_and(too_large) {
        return one("name too large (max 1024 characters)");
    }
    if email.as_deref().is_some_and(too_large) {
        return one("email too large (max 1024 characters)");
    }
    // Which bad trait the API names first depends on the order it reads them in; any will do.
    let mut messages = BTreeSet::new();
    for (key, value) in &traits {
        if too_large(key) {
            messages.insert("user trait key too large");
        } else if value.as_deref().is_some_and(too_large) {
            messages.insert("user trait value too large (max 1024 characters)");
        }
    }
    if !messages.is_empty() {
        return Err(messages);
    }
    Ok(Update {
        name,
        email,
        timestamp,
        traits,
    })
}

/// A float as JavaScript prints it, for whole values below 1e15 (`1.0` is `"1"`); else Rust's
/// shortest round-trip form.
fn javascript_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// The API's merge: name and email replaced when sent, each trait set or (blank) removed.
fn merge(users: &mut HashMap<Ids, ModelUser>, ids: &Ids, update: Update) -> ModelUser {
    let user = users.entry(ids.clone()).or_insert_with(|| ModelUser {
        name: None,
        email: None,
        traits: BTreeMap::new(),
        seen: update.timestamp.map(|t| (t, t)),
    });
    if update.name.is_some() {
        user.name = update.name;
    }
    if update.email.is_some() {
        user.email = update.email;
    }
    for (key, value) in update.traits {
        match value {
            Some(value) => {
                user.traits.insert(key, value);
            }
            None => {
                user.traits.remove(&key);
            }
        }
    }
    user.seen = match (user.seen, update.timestamp) {
        (Some((first, last)), Some(t)) => Some((first.min(t), last.max(t))),
        _ => None,
    };
    user.clone()
}

/// The answer, the stored user and the client's reading of the answer all match the model.
fn check_user(
    state: &EmulatorState,
    (org, app, user_id): &Ids,
    expected: ModelUser,
    answer: &[u8],
    context: &dyn Fn() -> String,
) {
    let mut payload = serde_json::json!({"userID": user_id, "traits": expected.traits});
    if let Some(name) = &expected.name {
        payload["name"] = name.clone().into();
    }
    if let Some(email) = &expected.email {
        payload["email"] = email.clone().into();
    }
    let answered: Value = serde_json::from_slice(answer).unwrap_or_default();
    assert_eq!(
        answered,
        payload,
        "the answer is not the model's user: {}",
        context()
    );

    let stored = state.user(org, app, user_id).expect("the stored user");
    assert_eq!(
        (&stored.name, &stored.email, &stored.traits),
        (&expected.name, &expected.email, &expected.traits),
        "the stored user is not the model's: {}",
        context()
    );
    assert!(stored.first_seen <= stored.last_seen);
    if let Some(seen) = expected.seen {
        assert_eq!((stored.first_seen, stored.last_seen), seen, "{}", context());
    }

    let read = User::from_body(answer, "not-this");
    let client_view = User {
        user_id: user_id.clone(),
        name: expected.name,
        email: expected.email,
        traits: expected.traits,
    };
    assert_eq!(
        read,
        Some(client_view),
        "the client reads the answer otherwise: {}",
        context()
    );
}

/// Whether a body repeats a key at its top level or inside `traits`.
fn repeats_a_key(body: &[u8]) -> bool {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    KeyScan { top: true }
        .deserialize(&mut deserializer)
        .unwrap_or(false)
}

/// Walks an object's keys (and those of its `traits` at the top), saying whether one repeats.
struct KeyScan {
    top: bool,
}

impl<'de> DeserializeSeed<'de> for KeyScan {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyScan {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut seen = std::collections::HashSet::new();
        let mut repeats = false;
        while let Some(key) = map.next_key::<String>()? {
            if self.top && key == "traits" {
                repeats |= map.next_value_seed(KeyScan { top: false })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            repeats |= !seen.insert(key);
        }
        Ok(repeats)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}
