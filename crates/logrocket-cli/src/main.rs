//! `logrocket`: identify users, import files of them, or serve the emulator.

mod cli;
mod connection;
mod emulator;
mod failure;
mod identify;
mod import;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LOGROCKET_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // The emulator serves many connections at once and wants every core. A client is one
    // stream of requests: on one thread it pays no cross-thread wake-ups per answer, and it
    // leaves the other cores to the server it talks to (often on the same machine).
    let mut builder = match cli.command {
        Command::Emulator(_) => tokio::runtime::Builder::new_multi_thread(),
        Command::Identify(_) | Command::Import(_) => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(failure::EXIT_ERROR);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Identify(args) => identify::run(args).await,
            Command::Import(args) => import::run(args).await,
            Command::Emulator(args) => emulator::run(args).await,
        }
    });
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code)
        }
    }
}
