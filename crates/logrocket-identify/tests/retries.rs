//! Retries: which failures are retried, how often, and how `Retry-After` is honoured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{attempts, builder, emulator, status};
use logrocket_emulator::Fault;
use logrocket_identify::{Error, ErrorKind, IdentifyRequest};

fn request() -> IdentifyRequest {
    IdentifyRequest::new("user-1").trait_value("plan", "pro")
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let emulator = emulator();
    emulator.state().push_faults(vec![status(500), status(503)]);
    let client = builder(&emulator).max_retries(3).build().unwrap();
    let user = client.identify(&request()).await.unwrap();
    assert_eq!(user.traits["plan"], "pro");
    let statuses: Vec<u16> = emulator
        .state()
        .requests()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [500, 503, 200]);
}

#[tokio::test]
async fn client_errors_are_never_retried_and_keep_the_api_message() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        status: Some(400),
        body: Some(r#"{"message":"Malformed request"}"#.into()),
        ..Fault::default()
    }]);
    let client = builder(&emulator).max_retries(3).build().unwrap();
    let error = client.identify(&request()).await.unwrap_err();
    assert_eq!(attempts(&emulator), 1);
    match error {
        Error::Api {
            status,
            message,
            retryable,
        } => {
            assert_eq!(
                (status, message.as_str(), retryable),
                (400, "Malformed request", false)
            );
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_key_is_a_401_without_retries() {
    let emulator = emulator();
    let client = builder(&emulator).api_key("not-the-key").build().unwrap();
    let error = client.identify(&request()).await.unwrap_err();
    assert_eq!((error.kind(), error.status()), (ErrorKind::Api, Some(401)));
    assert_eq!(attempts(&emulator), 1);
}

#[tokio::test]
async fn retries_give_up_after_the_configured_count() {
    let emulator = emulator();
    emulator.state().push_faults(vec![status(503); 5]);
    let client = builder(&emulator).max_retries(2).build().unwrap();
    let error = client.identify(&request()).await.unwrap_err();
    assert_eq!(attempts(&emulator), 3);
    assert_eq!(error.status(), Some(503));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        status: Some(429),
        retry_after: Some("1".into()),
        ..Fault::default()
    }]);
    let client = builder(&emulator).build().unwrap();
    let started = Instant::now();
    client.identify(&request()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried after {:?}",
        started.elapsed()
    );
    assert_eq!(attempts(&emulator), 2);
}

#[tokio::test]
async fn one_retry_after_pauses_the_whole_client() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        status: Some(429),
        retry_after: Some("2".into()),
        ..Fault::default()
    }]);
    let client = builder(&emulator).build().unwrap();
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.identify(&request()).await }
    });
    // Wait until the 429 has been answered, then send an unrelated request: it must wait too.
    while attempts(&emulator) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    client
        .identify(&IdentifyRequest::new("user-2"))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the second request went after {:?}, inside the pause",
        started.elapsed()
    );
    first.await.unwrap().unwrap();
}

/// Requests already queued for a slot of the client's rate when a 429 pauses the client wait
/// the pause out too, rather than going out into it when their slot comes.
#[tokio::test]
async fn requests_waiting_for_a_rate_slot_also_wait_out_a_pause() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        status: Some(429),
        retry_after: Some("2".into()),
        ..Fault::default()
    }]);
    // 10 a second: after the first, the others' slots come 100 ms apart, all inside the pause.
    let client = builder(&emulator).rate_limit(10.0).build().unwrap();
    let sending = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .identify_many(
                    futures::stream::iter((0..8).map(|i| IdentifyRequest::new(format!("u{i}")))),
                    Some(8),
                )
                .await
        }
    });
    while attempts(&emulator) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Well inside the 2 s pause, past every queued slot (at most 700 ms after the first).
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(attempts(&emulator), 1, "requests went out during the pause");
    let report = sending.await.unwrap().unwrap();
    assert_eq!(report.succeeded, 8);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        drop_connection: true,
        ..Fault::default()
    }]);
    let client = builder(&emulator).build().unwrap();
    client.identify(&request()).await.unwrap();
    let statuses: Vec<u16> = emulator
        .state()
        .requests()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [0, 200]);
}

#[tokio::test]
async fn a_dropped_connection_without_retries_is_a_transport_error() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        drop_connection: true,
        ..Fault::default()
    }]);
    let client = builder(&emulator).max_retries(0).build().unwrap();
    let error = client.identify(&request()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
}

#[tokio::test]
async fn a_slow_answer_times_out_after_every_retry() {
    let emulator = emulator();
    let slow = Fault {
        delay_ms: 3000,
        ..Fault::default()
    };
    emulator.state().push_faults(vec![slow; 3]);
    let client = builder(&emulator)
        .timeout(Duration::from_millis(200))
        .max_retries(2)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.identify(&request()).await.unwrap_err();
    // Each attempt gave up at the timeout instead of waiting for the 3 s answer.
    assert!(
        matches!(error, Error::Timeout { attempts: 3, .. }),
        "expected a timeout after 3 attempts, got {error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn error_bodies_are_read_in_every_shape() {
    let emulator = emulator();
    let client = builder(&emulator).max_retries(0).build().unwrap();
    let cases = [
        (
            r#"{"message":"user trait key too large"}"#,
            "user trait key too large",
        ),
        (
            r#"{"error":"Missing request body"}"#,
            "Missing request body",
        ),
        ("Malformed request", "Malformed request"),
        ("", "400 Bad Request"),
    ];
    for (body, expected) in cases {
        emulator.state().push_faults(vec![Fault {
            status: Some(400),
            body: Some(body.into()),
            ..Fault::default()
        }]);
        let error = client.identify(&request()).await.unwrap_err();
        assert_eq!(error.message(), expected, "body {body:?}");
    }
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let emulator = emulator();
    let at = std::time::SystemTime::now() + Duration::from_secs(2);
    emulator.state().push_faults(vec![Fault {
        status: Some(503),
        retry_after: Some(httpdate::fmt_http_date(at)),
        ..Fault::default()
    }]);
    let client = builder(&emulator).build().unwrap();
    let started = Instant::now();
    client.identify(&request()).await.unwrap();
    // An HTTP date has one-second resolution: the wait is at least a second.
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
}
