//! User id encoding (`path.rs`): a segment decodes back to the text it encodes and never holds
//! `/`; and the whole path a client sends for a valid user id, with an org and app its
//! configuration accepted, is exactly eight segments, none of them empty or a dot segment, each
//! decoding back to its id, and unchanged by the URL parser the HTTP client uses.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logrocket_identify::{ClientBuilder, IdentifyRequest, encode_segment, user_path};
use percent_encoding::percent_decode_str;

/// Between the parts of an input: `user id SEP org/app`, or `user id SEP org SEP app`.
const SEP: &str = "\n~~~\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parts: Vec<&str> = text.split(SEP).collect();
    let builder = ClientBuilder::new().api_key("key");
    let (user_id, builder) = match parts.as_slice() {
        [user_id] => (*user_id, builder.app("acme/web")),
        [user_id, app] => (*user_id, builder.app(*app)),
        [user_id, org, app, ..] => (*user_id, builder.org_id(*org).app_id(*app)),
        [] => return,
    };
    for part in &parts {
        check_segment(part);
    }
    let Ok(config) = builder.into_config() else {
        return;
    };
    if IdentifyRequest::new(user_id).validate().is_err() {
        return;
    }
    let path = user_path(&config.org_id, &config.app_id, user_id);
    let segments: Vec<&str> = path.split('/').collect();
    let ["", "v1", "orgs", org, "apps", app, "users", user] = segments.as_slice() else {
        panic!("{path:?} is not /v1/orgs/<org>/apps/<app>/users/<user>");
    };
    for (segment, id) in [
        (org, &*config.org_id),
        (app, &*config.app_id),
        (user, user_id),
    ] {
        assert!(
            !segment.is_empty() && *segment != "." && *segment != "..",
            "{path:?} has an empty or dot segment (org {:?}, app {:?}, user {user_id:?})",
            config.org_id,
            config.app_id,
        );
        assert_eq!(decode(segment).as_deref(), Some(id));
    }
    // What the client does with it: the base URL, the path, parsed as a URL.
    let url = url::Url::parse(&format!("https://api.logrocket.com{path}"));
    assert_eq!(
        url.as_ref().map(url::Url::path),
        Ok(path.as_str()),
        "the URL parser changed {path:?}"
    );
});

/// A segment: only unreserved characters and `%XX` escapes (upper-case hex), decoding back to
/// the text. A dot segment only for the texts "." and "..", which validation refuses.
fn check_segment(text: &str) {
    let segment = encode_segment(text);
    let bytes = segment.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => i += 1,
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).unwrap_or_default();
                assert!(
                    hex.len() == 2 && hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F')),
                    "a bad escape in {segment:?}"
                );
                i += 3;
            }
            other => panic!("{:?} left unescaped in {segment:?}", other as char),
        }
    }
    assert_eq!(decode(&segment).as_deref(), Some(text));
    assert_eq!(
        segment == "." || segment == "..",
        text == "." || text == ".."
    );
    assert_eq!(segment.is_empty(), text.is_empty());
}

fn decode(segment: &str) -> Option<String> {
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}
