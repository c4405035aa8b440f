//! Identify one user and a batch against the embedded emulator (no credentials needed).
//! Run: cargo run -p logrocket-identify --example identify
//! Against LogRocket itself, build the client with `Client::from_env()` instead.

use logrocket_emulator::{Emulator, EmulatorConfig};
use logrocket_identify::{Client, IdentifyRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(EmulatorConfig::default())?;
    let client = Client::builder()
        .api_key(emulator.api_key())
        .app("acme/web")
        .base_url(emulator.url())
        .build()?;

    let user = client
        .identify(
            &IdentifyRequest::new("user-42")
                .name("John Smith")
                .email("john@example.com")
                .timestamp(std::time::SystemTime::now())
                .trait_value("plan", "pro")
                .trait_value("mrr", 99.5)
                .trait_value("seats", 3)
                .unset("old_campaign"),
        )
        .await?;
    println!(
        "{} is on {} paying {}",
        user.user_id, user.traits["plan"], user.traits["mrr"]
    );

    let batch =
        (1..=100).map(|i| IdentifyRequest::new(format!("user-{i}")).trait_value("revenue", i * 10));
    let report = client
        .identify_many(futures::stream::iter(batch), Some(32))
        .await?;
    println!(
        "{} of {} users identified, {} failed",
        report.succeeded,
        report.total,
        report.failures.len()
    );
    for failure in &report.failures {
        println!(
            "  #{} {}: {}",
            failure.index, failure.user_id, failure.error
        );
    }
    Ok(())
}
