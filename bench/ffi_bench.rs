//! The Rust side of bench/ffi_bench.sh: the same PUTs as bench/ffi_bench.c and Go's
//! TestBenchIdentifyMany, through the core's blocking `identify_many`.
//! Usage: ffi_bench <base url> [count] [concurrency].
//! Prints one tab-separated row: caller, total, succeeded, seconds, requests/s, and the
//! process's user and system CPU seconds spent during the run (getrusage deltas).

use std::time::Instant;

use logrocket_identify::{Client, IdentifyRequest};

/// `struct rusage` of Linux on 64-bit targets: two `struct timeval`s, then 14 longs.
#[repr(C)]
struct Rusage {
    user: [i64; 2],
    system: [i64; 2],
    rest: [i64; 14],
}

unsafe extern "C" {
    fn getrusage(who: i32, usage: *mut Rusage) -> i32;
}

/// User and system CPU seconds this process has used so far (all its threads).
fn cpu_seconds() -> (f64, f64) {
    let mut usage = Rusage {
        user: [0; 2],
        system: [0; 2],
        rest: [0; 14],
    };
    // SAFETY: `usage` is a writable struct of the size and layout Linux writes for RUSAGE_SELF (0).
    if unsafe { getrusage(0, &mut usage) } != 0 {
        return (0.0, 0.0);
    }
    let seconds = |t: [i64; 2]| t[0] as f64 + t[1] as f64 / 1e6;
    (seconds(usage.user), seconds(usage.system))
}

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
    let (user_before, system_before) = cpu_seconds();
    let start = Instant::now();
    // Made as the run pulls them, as a Rust caller would: making them is part of what a caller
    // pays, as in the C and Go runs.
    let requests = (0..count).map(|i| {
        Ok(IdentifyRequest::new(format!("user-{i}"))
            .name("Bench User")
            .trait_value("plan", "pro")
            .trait_value("seats", i as i64))
    });
    let report = client.identify_many(requests, Some(concurrency))?;
    let seconds = start.elapsed().as_secs_f64();
    let (user_after, system_after) = cpu_seconds();
    println!(
        "rust\t{}\t{}\t{seconds:.3}\t{:.0}\t{:.3}\t{:.3}",
        report.total,
        report.succeeded,
        count as f64 / seconds,
        user_after - user_before,
        system_after - system_before,
    );
    if report.succeeded as usize == count {
        Ok(())
    } else {
        Err("some requests failed".into())
    }
}
