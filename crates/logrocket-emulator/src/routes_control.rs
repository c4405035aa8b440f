//! Test-only routes under `/_emulator/`: read and reset state, inject faults. No auth, never
//! recorded, never faulted.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Deserializer};

use crate::faults::{Fault, FaultRate};
use crate::responses;
use crate::state::{EmulatorState, EmulatorStats, RecordedRequest};

/// The `/_emulator/` routes, to be merged into the main router.
pub(crate) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/users", get(users))
        .route("/_emulator/requests", get(requests))
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/faults", post(add_faults).delete(clear_faults))
        .route("/_emulator/rate-limit", post(set_rate_limit))
}

async fn health() -> Response {
    responses::text(StatusCode::OK, "ok")
}

/// Written straight from the packed store, one user at a time: with a million users, a
/// `Vec<StoredUser>` first would more than double what the request costs.
async fn users(State(state): State<EmulatorState>) -> Response {
    responses::json_bytes(StatusCode::OK, state.users_json())
}

async fn requests(State(state): State<EmulatorState>) -> Json<Vec<RecordedRequest>> {
    Json(state.requests())
}

/// `{"connections": N, "statuses": {"200": n, "429": m}}`: totals since the start or the last
/// reset, over every request (not only the log's newest).
async fn stats(State(state): State<EmulatorState>) -> Json<EmulatorStats> {
    Json(state.stats())
}

async fn reset(State(state): State<EmulatorState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(state): State<EmulatorState>) -> StatusCode {
    state.clear_faults();
    StatusCode::NO_CONTENT
}

/// `{"script": [Fault...]}` appends to the script; `{"rate": FaultRate}` sets the rate and
/// `{"rate": null}` clears it. Both may come in one body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsRequest {
    #[serde(default)]
    script: Option<Vec<Fault>>,
    // `Some(None)` is an explicit `null`, which is not the same as leaving the rate alone.
    #[serde(default, deserialize_with = "present")]
    rate: Option<Option<FaultRate>>,
}

fn present<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<FaultRate>>, D::Error> {
    Option::<FaultRate>::deserialize(deserializer).map(Some)
}

// The body is parsed by hand rather than with the `Json` extractor so that a bad body gets a
// 400 with a message whatever its content type, as the route's contract says.
async fn add_faults(State(state): State<EmulatorState>, body: Bytes) -> Response {
    let request: FaultsRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let text = format!("invalid faults body: {error}");
            return responses::message(StatusCode::BAD_REQUEST, &text);
        }
    };
    if request.script.is_none() && request.rate.is_none() {
        return responses::message(
            StatusCode::BAD_REQUEST,
            "expected \"script\" (a list of faults) or \"rate\" (a fault rate or null)",
        );
    }
    // Everything is checked before anything is applied, so a rejected body changes nothing.
    let checked = request
        .script
        .iter()
        .flatten()
        .try_for_each(Fault::check)
        .and_then(|()| match &request.rate {
            Some(Some(rate)) => rate.check(),
            _ => Ok(()),
        });
    if let Err(text) = checked {
        return responses::message(StatusCode::BAD_REQUEST, &text);
    }
    if let Some(script) = request.script {
        state.push_faults(script);
    }
    if let Some(rate) = request.rate {
        state.set_fault_rate(rate);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `{"per_second": N}` sets the rate limit (N API requests per second, then 429 with
/// `Retry-After`); `{"per_second": null}` or 0 lifts it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitBody {
    per_second: Option<u32>,
}

async fn set_rate_limit(State(state): State<EmulatorState>, body: Bytes) -> Response {
    match serde_json::from_slice::<RateLimitBody>(&body) {
        Ok(limit) => {
            state.set_rate_limit(limit.per_second);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => responses::message(
            StatusCode::BAD_REQUEST,
            &format!("expected {{\"per_second\": N or null}}: {e}"),
        ),
    }
}
