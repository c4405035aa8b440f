//! `logrocket identify USER_ID ...`: one user, printed back as JSON.

use logrocket_identify::IdentifyRequest;

use crate::cli::IdentifyArgs;
use crate::connection::Connection;
use crate::failure::CliError;

pub async fn run(args: IdentifyArgs) -> Result<u8, CliError> {
    let mut request = IdentifyRequest::new(args.user_id);
    request.name = args.name;
    request.email = args.email;
    request.timestamp_ms = args.timestamp;
    for pair in &args.traits {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            CliError::usage(format!(
                "--trait {pair:?} has no '=': write it as key=value"
            ))
        })?;
        request = request.trait_value(key, value);
    }
    for key in args.unset {
        request = request.unset(key);
    }
    let connection = Connection::open(&args.connection, None, false)?;
    let user = connection
        .client
        .identify(&request)
        .await
        .map_err(CliError::from_sdk)?;
    println!("{}", to_json(&user));
    if let Some(emulator) = &connection.emulator {
        eprintln!("the emulator stored:");
        for stored in emulator.state().users() {
            eprintln!("{}", to_json(&stored));
        }
    }
    Ok(0)
}

pub fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("(unprintable: {e})"))
}
