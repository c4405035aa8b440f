//! The JSON input readers, differentially: the fast reader (`json_input/fast.rs`) and the
//! general reader (through a `serde_json::Value`) must agree on every input, or the fast one
//! must give up on it. Then a request either reader makes must validate and encode without
//! panicking, and its encoded body must say exactly what the request says.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logrocket_identify::{IdentifyRequest, TraitValue};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    // The readers take text; the CLI and the bindings turn bytes into text first.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (fast, general) = IdentifyRequest::from_json_str_by_each_reader(text);
    // Debug forms, since a request holding a NaN float is not equal to itself.
    let general_form = format!("{general:?}");
    if let Some(fast) = &fast {
        assert!(
            general.is_ok(),
            "the fast reader took what the general reader refuses: {text:?}\n \
             fast: {fast:?}\n general: {general_form}"
        );
        assert_eq!(
            format!("{:?}", Ok::<_, ()>(fast)),
            general_form,
            "the readers disagree on {text:?}"
        );
    }
    let public = IdentifyRequest::from_json_str(text);
    assert_eq!(
        format!("{public:?}"),
        general_form,
        "from_json_str is not the general reader's answer on {text:?}"
    );
    match &general {
        Ok(request) => check_encoding(request),
        // The field may be empty: an unknown key is named as given, and `""` is a key.
        Err(error) => assert!(!error.message.is_empty()),
    }
});

/// Validation and encoding: a body, when there is one, holds exactly the request's fields.
fn check_encoding(request: &IdentifyRequest) {
    let body = match request.encode_body() {
        Ok(body) => body,
        Err(error) => {
            assert!(!error.field.is_empty() && !error.message.is_empty());
            assert!(
                request.validate().is_err(),
                "encode_body failed but validate passed"
            );
            return;
        }
    };
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        panic!("the encoded body is not a JSON object: {body:?}");
    };
    let text = |key: &str| body.get(key).map(|v| v.as_str().map(str::to_owned));
    assert_eq!(text("name"), request.name.clone().map(Some));
    assert_eq!(text("email"), request.email.clone().map(Some));
    assert_eq!(
        body.get("timestamp").map(Value::as_i64),
        request.timestamp_ms.map(Some)
    );
    for key in body.keys() {
        assert!(
            ["name", "email", "timestamp", "traits"].contains(&key.as_str()),
            "unexpected key {key:?} in the body"
        );
    }
    match body.get("traits") {
        None => assert!(request.traits.is_empty()),
        Some(Value::Object(traits)) => {
            assert_eq!(traits.len(), request.traits.len());
            for (key, value) in &request.traits {
                let sent = &traits[key];
                match value {
                    TraitValue::String(s) => assert_eq!(sent.as_str(), Some(s.as_str())),
                    TraitValue::Remove => assert_eq!(sent.as_str(), Some("")),
                    TraitValue::Integer(i) => assert_eq!(sent.as_i64(), Some(*i)),
                    TraitValue::Bool(b) => assert_eq!(sent.as_bool(), Some(*b)),
                    TraitValue::Float(f) => {
                        // serde_json's default float parsing is best effort (within an ulp), so
                        // check the number's text as written, read back with the exact parser.
                        assert!(sent.is_number(), "float {f:?} sent as {sent}");
                        let written = serde_json::to_string(value).unwrap_or_default();
                        let read: f64 = written.parse().unwrap_or(f64::NAN);
                        assert!(read == *f, "float {f:?} went on the wire as {written}");
                    }
                    TraitValue::Unsupported(_) => panic!("an unsupported value was encoded"),
                }
            }
        }
        Some(other) => panic!("traits encoded as {other}"),
    }
}
