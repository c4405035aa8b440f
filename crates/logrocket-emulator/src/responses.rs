//! Building the emulator's answers: JSON `{"message": ...}` errors and JSON payloads.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

/// `{"message": "<text>"}` with the given status, the shape of every API error.
pub(crate) fn message(status: StatusCode, text: &str) -> Response {
    #[derive(Serialize)]
    struct Message<'a> {
        message: &'a str,
    }
    json(status, &Message { message: text })
}

/// Any serializable value as an `application/json` response.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => with_content_type(status, Body::from(bytes), "application/json"),
        // Only reachable with a non-string map key, which no emulator type has.
        Err(_) => with_content_type(
            StatusCode::INTERNAL_SERVER_ERROR,
            Body::from("{\"message\":\"Error processing user data\"}"),
            "application/json",
        ),
    }
}

/// JSON already written, as an `application/json` response.
pub(crate) fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    with_content_type(status, Body::from(bytes), "application/json")
}

/// A `text/plain` response.
pub(crate) fn text(status: StatusCode, body: impl Into<Body>) -> Response {
    with_content_type(status, body.into(), "text/plain; charset=utf-8")
}

fn with_content_type(status: StatusCode, body: Body, content_type: &'static str) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
