//! The Rust side of bench/ffi_bench.sh: the same 20,000 PUTs as bench/ffi_bench.c, through the
//! core's blocking `identify_many`. Usage: ffi_bench <base url> [count] [concurrency].

use std::time::Instant;

use logrocket_identify::{Client, IdentifyRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .ok_or("usage: ffi_bench <base url> [count] [concurrency]")?;
    let count: usize = args.get(2).map_or(Ok(20_000), |a| a.parse())?;
    let concurrency: usize = args.get(3).map_or(Ok(16), |a| a.parse())?;
    let client = Client::builder()
        .api_key("test")
        .app("bench/rust")
        .base_url(url)
        .build_blocking()?;
    let requests: Vec<IdentifyRequest> = (0..count)
        .map(|i| {
            IdentifyRequest::new(format!("user-{i}"))
                .name("Bench User")
                .trait_value("plan", "pro")
                .trait_value("seats", i as i64)
        })
        .collect();
    let start = Instant::now();
    let report = client.identify_many(requests.into_iter().map(Ok), Some(concurrency));
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "rust\t{}\t{}\t{seconds:.3}\t{:.0}",
        report.total,
        report.succeeded,
        count as f64 / seconds
    );
    if report.succeeded as usize == count {
        Ok(())
    } else {
        Err("some requests failed".into())
    }
}
