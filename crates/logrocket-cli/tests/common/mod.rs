//! Running the real `logrocket` binary against an emulator started in the test process.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use logrocket_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

/// The org and app every test sends to.
pub const ORG: &str = "acme";
pub const APP: &str = "shop";

/// What one run of the binary left: its exit status and both outputs, as text.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Fails the test with both outputs when the exit status is not `expected`.
    pub fn expect_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(expected),
            "unexpected exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// The binary, run in `dir`, with none of the configuration the environment might carry.
pub fn logrocket(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logrocket"));
    command
        .current_dir(dir)
        .env_remove("LOGROCKET_API_KEY")
        .env_remove("LOGROCKET_APP_ID")
        .env_remove("LOGROCKET_BASE_URL")
        .env_remove("LOGROCKET_LOG")
        .stdin(Stdio::null());
    command
}

/// Runs `command` to the end, feeding it `stdin` when given.
pub fn run(mut command: Command, stdin: Option<&str>) -> Run {
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the logrocket binary starts");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(text.as_bytes())
            .expect("stdin accepts the input");
    }
    let output = child.wait_with_output().expect("the logrocket binary ends");
    Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// An emulator in this process, accepting `api_key`.
pub fn emulator_with_key(api_key: &str) -> Emulator {
    Emulator::start(EmulatorConfig {
        api_key: api_key.to_owned(),
        ..EmulatorConfig::default()
    })
    .expect("the emulator starts")
}

pub fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).expect("the emulator starts")
}

/// The flags that point the CLI at `emulator` (plain http to 127.0.0.1 is allowed).
pub fn connection_flags(emulator: &Emulator) -> Vec<String> {
    vec![
        "--base-url".into(),
        emulator.url().into(),
        "--api-key".into(),
        emulator.api_key().into(),
        "--app".into(),
        format!("{ORG}/{APP}"),
    ]
}

/// The traits the emulator stored for `user_id`, or `None` if it has no such user.
pub fn stored_traits(emulator: &Emulator, user_id: &str) -> Option<Vec<(String, String)>> {
    let user = emulator.state().user(ORG, APP, user_id)?;
    Some(user.traits.into_iter().collect())
}

/// `pairs` as owned (key, value) pairs, in key order, to compare with [`stored_traits`].
pub fn traits(pairs: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
    let mut owned: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    owned.sort();
    Some(owned)
}

/// Every line of a JSON Lines file, parsed, sorted by their `"line"` (rejects are written in
/// the order rows finish, which concurrency makes unpredictable).
pub fn read_rejects(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut rows: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each reject is one JSON line"))
        .collect();
    rows.sort_by_key(|row| row["line"].as_u64());
    rows
}

/// Writes `text` to `name` in `dir` and returns its path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the test file is written");
    path
}
