//! Building the request path, with the user id percent-encoded as exactly one path segment.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is escaped, so `/`, `?`, `#`, `%`, `@`, spaces
/// and non-ASCII ids all stay inside one segment and round-trip through the server's decoding.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (UTF-8, upper-case hex).
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// `/v1/orgs/<org>/apps/<app>/users/<user_id>`, every part encoded as a segment.
pub fn user_path(org_id: &str, app_id: &str, user_id: &str) -> String {
    let mut path = users_path(org_id, app_id);
    push_segment(&mut path, user_id);
    path
}

/// `/v1/orgs/<org>/apps/<app>/users/`: what every path of one app starts with, so a client can
/// encode it once.
pub(crate) fn users_path(org_id: &str, app_id: &str) -> String {
    format!(
        "/v1/orgs/{}/apps/{}/users/",
        encode_segment(org_id),
        encode_segment(app_id)
    )
}

/// Appends `segment`, percent-encoded, to `path`.
pub(crate) fn push_segment(path: &mut String, segment: &str) {
    path.extend(utf8_percent_encode(segment, SEGMENT));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_non_ascii_characters_stay_in_one_segment() {
        assert_eq!(encode_segment("a/b"), "a%2Fb");
        assert_eq!(encode_segment("x@y.com"), "x%40y.com");
        assert_eq!(encode_segment("a b?#%"), "a%20b%3F%23%25");
        assert_eq!(encode_segment("josé"), "jos%C3%A9");
        assert_eq!(encode_segment("user-42_v.2~x"), "user-42_v.2~x");
    }
}
