//! A real forward proxy (tinyproxy) for the network tests, started by the shared script
//! `tests/proxy/tinyproxy.sh` that every language's suite uses.

use std::path::PathBuf;
use std::process::Command;

pub struct Tinyproxy {
    dir: tempfile::TempDir,
    pub port: u16,
}

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/proxy/tinyproxy.sh"
);

impl Tinyproxy {
    /// Starts tinyproxy; with `credentials` ("user:password") it answers 407 without them.
    pub fn start(credentials: Option<&str>) -> Tinyproxy {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new(SCRIPT);
        command.arg("start").arg(dir.path());
        if let Some(credentials) = credentials {
            command.arg(credentials);
        }
        let output = command.output().expect("tests/proxy/tinyproxy.sh runs");
        assert!(
            output.status.success(),
            "tinyproxy did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let port = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("the script prints the port");
        Tinyproxy { dir, port }
    }

    /// `http://127.0.0.1:<port>`, with `user:password@` when given.
    pub fn url(&self, credentials: Option<&str>) -> String {
        match credentials {
            Some(credentials) => format!("http://{credentials}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// The request lines tinyproxy logged ("CONNECT 127.0.0.1:4242 HTTP/1.1", ...).
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        log.lines()
            .filter_map(|line| line.split_once("): ").map(|(_, rest)| rest))
            .filter(|rest| rest.contains(" HTTP/1."))
            .map(str::to_owned)
            .collect()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("tinyproxy.log")
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = Command::new(SCRIPT)
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}
