//! Helpers shared by the integration tests: an emulator, a client, and requests to both.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use logrocket_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

pub const ORG: &str = "org1";
pub const APP: &str = "app1";

/// A fresh emulator with the default config (key "test").
pub fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).expect("emulator starts")
}

/// A client that never goes through a proxy configured in the environment.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds")
}

/// The URL of a user, `encoded_id` already percent-encoded as one path segment.
pub fn user_url(emulator: &Emulator, encoded_id: &str) -> String {
    format!(
        "{}/v1/orgs/{ORG}/apps/{APP}/users/{encoded_id}",
        emulator.url()
    )
}

/// A status and the body parsed as JSON (or a JSON string when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {:?}", self.text))
    }

    /// The `message` of a JSON error body.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message in {:?}", self.text))
            .to_owned()
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let status = response.status().as_u16();
    let content_type = header("content-type");
    let retry_after = header("retry-after");
    let text = response.text().await.unwrap();
    Answer {
        status,
        content_type,
        retry_after,
        text,
    }
}

/// An authorized PUT of `body` to the user `encoded_id`.
pub async fn put(
    client: &reqwest::Client,
    emulator: &Emulator,
    encoded_id: &str,
    body: &str,
) -> Answer {
    let response = client
        .put(user_url(emulator, encoded_id))
        .header("authorization", "token test")
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// An authorized PUT of a JSON value.
pub async fn put_json(
    client: &reqwest::Client,
    emulator: &Emulator,
    encoded_id: &str,
    body: &Value,
) -> Answer {
    put(client, emulator, encoded_id, &body.to_string()).await
}

/// POST /_emulator/faults with a JSON body.
pub async fn post_faults(client: &reqwest::Client, emulator: &Emulator, body: &Value) -> Answer {
    let response = client
        .post(format!("{}/_emulator/faults", emulator.url()))
        .json(body)
        .send()
        .await
        .unwrap();
    answer(response).await
}
