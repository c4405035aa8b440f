//! The API's documented limits and the exact messages it answers with.
//!
//! Client-side validation uses these same strings so a user sees identical text whether the
//! client or the server caught the problem (ARCHITECTURE.md, ruling 2).

/// The most characters (Unicode scalar values) a user id, name, email, trait key or trait value
/// may have. The documentation says both "max 1024" and "less than 1024"; the client takes the
/// permissive reading so it never rejects a request the real API could accept (ruling 1).
pub const MAX_CHARS: usize = 1024;

pub const MSG_USER_ID_TOO_LARGE: &str = "userID too large (max 1024 characters)";
pub const MSG_NAME_TOO_LARGE: &str = "name too large (max 1024 characters)";
pub const MSG_EMAIL_TOO_LARGE: &str = "email too large (max 1024 characters)";
pub const MSG_TRAIT_KEY_TOO_LARGE: &str = "user trait key too large";
pub const MSG_TRAIT_VALUE_TOO_LARGE: &str = "user trait value too large (max 1024 characters)";
pub const MSG_MALFORMED: &str = "Malformed request";
/// Not an API message: the API cannot see an empty id (the route would not match), so the client
/// names the problem itself.
pub const MSG_USER_ID_REQUIRED: &str = "userID is required";

/// True when `s` is over the limit, counting characters rather than bytes so that 1024 emoji pass.
pub(crate) fn too_large(s: &str) -> bool {
    // A string of at most 1024 bytes cannot hold more than 1024 characters: skip the count.
    s.len() > MAX_CHARS && s.chars().count() > MAX_CHARS
}
