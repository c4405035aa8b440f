//! `logrocket emulator`: serve the emulator on 127.0.0.1 until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};

use logrocket_emulator::{EmulatorConfig, EmulatorState, serve};

use crate::cli::EmulatorArgs;
use crate::failure::CliError;

pub async fn run(args: EmulatorArgs) -> Result<u8, CliError> {
    let config = EmulatorConfig {
        api_key: args.api_key,
        port: args.port,
        rate_limit: args.rate_limit,
        ..EmulatorConfig::default()
    };
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
            .await
            .map_err(|e| CliError::io("cannot listen", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::io("cannot read the listening address", e))?;
    // The URL on stdout, alone on its line, so scripts can read where it listens.
    println!("http://{addr}");
    eprintln!("emulator listening on http://{addr} (Ctrl-C to stop)");
    let state = EmulatorState::new(&config);
    let interrupted = async {
        // If the signal handler cannot be installed, serve until killed instead.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    serve(listener, state, interrupted)
        .await
        .map_err(|e| CliError::io("emulator stopped", e))?;
    Ok(0)
}
