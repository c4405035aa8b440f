//! The API itself: `PUT /v1/orgs/{org_id}/apps/{app_id}/users/{user_id}`.
//!
//! Every request outside `/_emulator/` lands here (unknown paths answer 404 from here too), so
//! each one is recorded and can be hit by a fault. Processing order: fault, rate limit, route,
//! auth, body checks, merge.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::faults::{Fault, standard_message};
use crate::rate_limit::retry_after_seconds;
use crate::responses;
use crate::server::ConnectionAbort;
use crate::state::{EmulatorState, RecordedRequest, StoredUser};
use crate::validate::{self, MALFORMED};

/// Far above any valid request (a few traits of 1024 characters), low enough that a runaway
/// client cannot exhaust memory.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Handles one API request and records it with the status it was answered.
pub(crate) async fn handle(State(state): State<EmulatorState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if is_control_path(parts.uri.path()) {
        // An unknown test route: not an API request, so neither recorded nor faulted.
        return responses::message(StatusCode::NOT_FOUND, "Not Found");
    }
    // The body is read before anything else so the log holds it whatever the outcome.
    let (raw_body, too_large) = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(raw_body) => (raw_body, false),
        Err(_) => (Bytes::new(), true),
    };
    let mut record = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        // `Version`'s Debug form is the protocol as written on the wire: "HTTP/1.1", "HTTP/2.0".
        protocol: format!("{:?}", parts.version),
        headers: header_map(&parts.headers),
        body: String::from_utf8_lossy(&raw_body).into_owned(),
        status: 0,
    };

    let response = match state.next_fault() {
        Some(fault) => match apply_fault(fault).await {
            FaultOutcome::Drop => {
                // Status stays 0: nothing was answered.
                state.record(record);
                return drop_connection(&parts).await;
            }
            FaultOutcome::Answer(response) => response,
            FaultOutcome::Proceed => limited_or_answer(&state, &parts, &raw_body, too_large),
        },
        None => limited_or_answer(&state, &parts, &raw_body, too_large),
    };
    record.status = response.status().as_u16();
    state.record(record);
    response
}

fn is_control_path(path: &str) -> bool {
    path == "/_emulator" || path.starts_with("/_emulator/")
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        // `http` already lowercases names; a repeated header is joined as HTTP allows.
        map.entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    map
}

enum FaultOutcome {
    Drop,
    Answer(Response),
    Proceed,
}

async fn apply_fault(fault: Fault) -> FaultOutcome {
    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    if fault.drop_connection {
        return FaultOutcome::Drop;
    }
    let Some(status) = fault.status else {
        return FaultOutcome::Proceed;
    };
    // Checked when the fault was configured; a bad one still must not crash the handler.
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match fault.body {
        Some(body) => responses::text(status, body),
        None => responses::message(status, standard_message(status)),
    };
    if let Some(value) = fault
        .retry_after
        .and_then(|retry_after| HeaderValue::from_str(&retry_after).ok())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    FaultOutcome::Answer(response)
}

/// Makes the connection task close the socket without a response, then waits to be dropped
/// with it.
async fn drop_connection(parts: &Parts) -> Response {
    match parts.extensions.get::<ConnectionAbort>() {
        Some(abort) => {
            abort.trigger();
            std::future::pending().await
        }
        // Only if the router were served without `server::serve_connection`; answering is the
        // closest we can get.
        None => responses::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "connection not droppable",
        ),
    }
}

/// 429 with `Retry-After` when over the rate limit, else the API's own answer.
fn limited_or_answer(
    state: &EmulatorState,
    parts: &Parts,
    raw_body: &[u8],
    too_large: bool,
) -> Response {
    match state.take_rate_token() {
        Ok(()) => answer(state, parts, raw_body, too_large),
        Err(wait) => {
            let mut response = responses::message(
                StatusCode::TOO_MANY_REQUESTS,
                standard_message(StatusCode::TOO_MANY_REQUESTS),
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_seconds(wait)),
            );
            response
        }
    }
}

/// The API's own answer, once no fault intervened.
fn answer(state: &EmulatorState, parts: &Parts, raw_body: &[u8], too_large: bool) -> Response {
    let Some(ids) = user_path(parts.uri.path()) else {
        return responses::message(StatusCode::NOT_FOUND, "Not Found");
    };
    if parts.method != Method::PUT {
        let mut response = responses::message(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("PUT"));
        return response;
    }
    if !authorized(&parts.headers, state.api_key()) {
        return responses::message(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    if too_large {
        return responses::message(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
    }
    let Some([org_id, app_id, user_id]) = ids.decode() else {
        return responses::message(StatusCode::BAD_REQUEST, MALFORMED);
    };
    let update = match validate::check(&user_id, raw_body) {
        Ok(update) => update,
        Err(message) => return responses::message(StatusCode::BAD_REQUEST, message),
    };
    let seen_at = update.timestamp.unwrap_or_else(now_ms);
    let user = state.merge(org_id, app_id, user_id, update, seen_at);
    responses::json(StatusCode::OK, &UserPayload::from(&user))
}

/// The three ids of a user path, still percent-encoded.
struct UserPath<'a> {
    org_id: &'a str,
    app_id: &'a str,
    user_id: &'a str,
}

/// Matches `/v1/orgs/{org}/apps/{app}/users/{user}` on the raw path, so an encoded `/`
/// (`%2F`) stays inside its segment. Empty segments do not match.
fn user_path(path: &str) -> Option<UserPath<'_>> {
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        ["", "v1", "orgs", org_id, "apps", app_id, "users", user_id]
            if !org_id.is_empty() && !app_id.is_empty() && !user_id.is_empty() =>
        {
            Some(UserPath {
                org_id,
                app_id,
                user_id,
            })
        }
        _ => None,
    }
}

impl UserPath<'_> {
    /// The decoded ids, or `None` when one decodes to invalid UTF-8.
    fn decode(&self) -> Option<[String; 3]> {
        let decode = |segment: &str| {
            percent_decode_str(segment)
                .decode_utf8()
                .ok()
                .map(|text| text.into_owned())
        };
        Some([
            decode(self.org_id)?,
            decode(self.app_id)?,
            decode(self.user_id)?,
        ])
    }
}

fn authorized(headers: &HeaderMap, api_key: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.as_bytes().strip_prefix(b"token "))
        .is_some_and(|key| key == api_key.as_bytes())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// The 200 body: the user as the API returns it, name and email omitted when never set.
#[derive(Serialize)]
struct UserPayload<'a> {
    #[serde(rename = "userID")]
    user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    traits: &'a BTreeMap<String, String>,
}

impl<'a> From<&'a StoredUser> for UserPayload<'a> {
    fn from(user: &'a StoredUser) -> Self {
        Self {
            user_id: &user.user_id,
            name: user.name.as_deref(),
            email: user.email.as_deref(),
            traits: &user.traits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::user_path;

    #[test]
    fn user_path_keeps_encoded_slashes_in_the_segment() {
        let ids = user_path("/v1/orgs/o/apps/a/users/a%2Fb");
        assert_eq!(ids.map(|ids| ids.user_id), Some("a%2Fb"));
        assert!(user_path("/v1/orgs/o/apps/a/users/").is_none());
        assert!(user_path("/v1/orgs/o/apps/a/users/x/y").is_none());
        assert!(user_path("/v1/orgs//apps/a/users/x").is_none());
        assert!(user_path("/v1/orgs/o/apps/a/users").is_none());
    }
}
