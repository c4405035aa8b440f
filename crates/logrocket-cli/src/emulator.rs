//! `logrocket emulator`: serve the emulator on 127.0.0.1 until Ctrl-C, over HTTP or (with
//! `--tls`) HTTPS.

use std::net::{Ipv4Addr, SocketAddr};
use std::task::Poll;

use logrocket_emulator::{EmulatorConfig, EmulatorState, TlsCertificates, serve, serve_tls};

use crate::cli::EmulatorArgs;
use crate::failure::CliError;

pub async fn run(args: EmulatorArgs) -> Result<u8, CliError> {
    let config = EmulatorConfig {
        api_key: args.api_key,
        port: args.port,
        rate_limit: args.rate_limit,
        tls: args.tls,
        ca_cert_path: args.ca_cert_out,
        request_log_limit: args.request_log_limit,
        ..EmulatorConfig::default()
    };
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
            .await
            .map_err(|e| CliError::io("cannot listen", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::io("cannot read the listening address", e))?;
    let state = EmulatorState::new(&config);
    // Polled once now, which installs the handler, so that a script that reads the URL and
    // then sends Ctrl-C (SIGINT) gets a clean stop, not a process killed mid-start.
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    let early = futures::poll!(ctrl_c.as_mut());
    let interrupted = async move {
        let outcome = match early {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => ctrl_c.await,
        };
        // If the signal handler cannot be installed, serve until killed instead.
        if outcome.is_err() {
            std::future::pending::<()>().await;
        }
    };
    if !config.tls {
        // The URL on stdout, alone on its line, so scripts can read where it listens.
        println!("http://{addr}");
        eprintln!("emulator listening on http://{addr} (Ctrl-C to stop)");
        serve(listener, state, interrupted)
            .await
            .map_err(|e| CliError::io("emulator stopped", e))?;
        return Ok(0);
    }

    let certificates = TlsCertificates::generate()
        .map_err(|e| CliError::io("cannot make the TLS certificates", e))?;
    // Dropped (which removes a temporary file) only once serving has stopped.
    let ca_file = certificates
        .write_ca_cert(config.ca_cert_path.clone(), addr.port())
        .map_err(|e| CliError::io("cannot write the CA certificate", e))?;
    let ca_path = ca_file.path().display();
    // The URL, then the CA certificate's path, each alone on its line for scripts.
    println!("https://{addr}");
    println!("{ca_path}");
    eprintln!(
        "emulator listening on https://{addr} with its CA certificate in {ca_path} \
         (try: curl --cacert {ca_path} https://{addr}/_emulator/health; Ctrl-C to stop)"
    );
    serve_tls(listener, state, certificates, interrupted)
        .await
        .map_err(|e| CliError::io("emulator stopped", e))?;
    drop(ca_file);
    Ok(0)
}
