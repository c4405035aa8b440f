//! The Rust side of bench/delivery_bench.sh: background delivery's costs, one mode per run.
//!
//!   delivery_bench memory USERS UPDATES
//!       UPDATES enqueues over USERS users (round robin, no timestamp, two traits each) while
//!       nothing is delivered (the server accepts no connection), so every update is pending
//!       at once. Prints: updates, users, pending jobs, coalesced, ns per enqueue, peak RSS MB.
//!   delivery_bench drain URL COUNT CONCURRENCY
//!       COUNT enqueues of distinct users as fast as they go, then flush: users/s from the first
//!       enqueue to the end of the flush, and client CPU µs per user.
//!   delivery_bench latency URL COUNT PER_SECOND
//!       A handler loop: COUNT enqueues paced at PER_SECOND, each timed while the queue drains.
//!       Prints p50, p99, p99.9 and max of one call, in µs.
//!
//! Every mode prints one tab-separated row on stdout. Everything stays on 127.0.0.1.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use logrocket_identify::{BlockingClient, Client, IdentifyRequest, WhenFull};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| -> u64 {
        args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    match args.first().map(String::as_str) {
        Some("memory") => memory(number(1, 100_000), number(2, 1_000_000)),
        Some("drain") => drain(arg(&args, 1)?, number(2, 100_000), number(3, 32)),
        Some("latency") => latency(arg(&args, 1)?, number(2, 50_000), number(3, 5_000)),
        _ => Err("usage: delivery_bench memory|drain|latency ... (see the file's header)".into()),
    }
}

fn arg(args: &[String], i: usize) -> Result<&str> {
    args.get(i)
        .map(String::as_str)
        .ok_or_else(|| "missing the emulator's URL".into())
}

fn client(url: &str, concurrency: u64, capacity: usize) -> Result<BlockingClient> {
    Ok(Client::builder()
        .api_key("bench-key")
        .app("bench/app")
        .base_url(url)
        .concurrency(usize::try_from(concurrency)?)
        .queue_capacity(capacity)
        .queue_max_bytes(1 << 30)
        .timeout(Duration::from_secs(120))
        .build_blocking()?)
}

fn memory(users: u64, updates: u64) -> Result<()> {
    // A server that never answers: connections wait in its backlog, nothing is delivered.
    let silent = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", silent.local_addr()?);
    let client = Client::builder()
        .api_key("bench-key")
        .app("bench/app")
        .base_url(&url)
        .queue_capacity(usize::try_from(users * 2)?)
        .queue_max_bytes(1 << 30)
        .when_full(WhenFull::Error)
        .timeout(Duration::from_secs(600))
        .build_blocking()?;
    let started = Instant::now();
    for i in 0..updates {
        client.enqueue(
            IdentifyRequest::new(format!("user-{}", i % users))
                .trait_value("visits", i)
                .trait_value("plan", if i % 3 == 0 { "pro" } else { "free" }),
        )?;
    }
    let per_call = started.elapsed().as_nanos() as f64 / updates as f64;
    let counters = client.counters();
    println!(
        "memory\t{updates}\t{users}\t{}\t{}\t{per_call:.0}\t{:.1}",
        counters.pending,
        counters.coalesced,
        peak_rss_mb()
    );
    // Nothing can be delivered: leave without the drop's flush deadline.
    std::process::exit(0)
}

fn drain(url: &str, count: u64, concurrency: u64) -> Result<()> {
    let client = client(url, concurrency, usize::try_from(count)?)?;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    for i in 0..count {
        client.enqueue(
            IdentifyRequest::new(format!("user-{i}"))
                .name("Bench User")
                .email("bench@example.com")
                .timestamp_ms(1_700_000_000_000)
                .trait_value("revenue", i)
                .trait_value("plan", "pro")
                .trait_value("campaign", "spring"),
        )?;
    }
    let summary = client.flush(Duration::from_secs(600));
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    if !summary.completed || summary.delivered != count {
        return Err(format!("not everything was delivered: {summary:?}").into());
    }
    println!(
        "drain\t{count}\t{concurrency}\t{seconds:.3}\t{:.0}\t{:.1}",
        count as f64 / seconds,
        cpu * 1e6 / count as f64
    );
    Ok(())
}

fn latency(url: &str, count: u64, per_second: u64) -> Result<()> {
    let client = client(url, 32, logrocket_identify::DEFAULT_QUEUE_CAPACITY)?;
    let interval = Duration::from_secs_f64(1.0 / per_second.max(1) as f64);
    let mut calls = Vec::with_capacity(usize::try_from(count)?);
    let started = Instant::now();
    for i in 0..count {
        // Paced like a server's handlers: each call at its own moment, not in a tight loop.
        let due = started + interval.mul_f64(i as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let request = IdentifyRequest::new(format!("user-{i}"))
            .trait_value("revenue", i)
            .trait_value("plan", "pro");
        let call = Instant::now();
        client.enqueue(request)?;
        calls.push(call.elapsed());
    }
    let summary = client.flush(Duration::from_secs(600));
    if !summary.completed {
        return Err(format!("not everything was delivered: {summary:?}").into());
    }
    calls.sort();
    let at = |q: f64| calls[((calls.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!(
        "latency\t{count}\t{per_second}\t{:.2}\t{:.2}\t{:.2}\t{:.2}",
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0)
    );
    Ok(())
}

/// The process's peak resident set, from /proc/self/status (VmHWM), in MB.
fn peak_rss_mb() -> f64 {
    status_kb("VmHWM:") / 1024.0
}

fn status_kb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0.0)
}

/// User plus system CPU seconds of this process, from /proc/self/stat (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 (from 0) after the name.
    (ticks(11) + ticks(12)) / 100.0
}
