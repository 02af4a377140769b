//! The real `rekey` program, run as a phone user's terminal would: its own config directory,
//! `--json` output, passwords on stdin, English messages.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::harness::program;

/// One `rekey` user: a cloud and a config directory (where the session is kept).
#[derive(Debug, Clone)]
pub struct Cli {
    cloud: String,
    config_dir: PathBuf,
}

/// What a run of `rekey` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or(serde_json::Value::Null)
    }

    /// Panics with the whole output unless the exit status is `code`.
    pub fn expect_code(self, code: i32, what: &str) -> Self {
        assert_eq!(
            self.code, code,
            "{what}: exit status {} (expected {code})\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the run succeeded.
    pub fn ok(self, what: &str) -> Self {
        self.expect_code(0, what)
    }

    /// The failure's `message` (from `--json`), else stderr.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .map_or_else(|| self.stderr.clone(), str::to_owned)
    }

    /// The failure's `error` key (from `--json`).
    pub fn error_key(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

impl Cli {
    /// A user of the cloud at `cloud` keeping its session in `config_dir`.
    pub fn new(cloud: &str, config_dir: &Path) -> Self {
        std::fs::create_dir_all(config_dir).expect("config dir");
        Self {
            cloud: cloud.to_owned(),
            config_dir: config_dir.to_owned(),
        }
    }

    /// Runs `rekey --cloud … --config-dir … --json --lang en ARGS`, with `stdin` as its input.
    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = Command::new(program("rekey"));
        cmd.arg("--cloud")
            .arg(&self.cloud)
            .arg("--config-dir")
            .arg(&self.config_dir)
            .args(["--json", "--lang", "en"])
            .args(args)
            .env_remove("REKEY_CLOUD")
            .env_remove("REKEY_CONFIG_DIR")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("start rekey");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).await.expect("write stdin");
        }
        drop(input);
        let out = tokio::time::timeout(crate::harness::DEADLINE, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("rekey {args:?} did not finish"))
            .expect("rekey ran");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Signs up in the two scripted steps (the code comes from the SMTP server); returns the
    /// JSON of the second step.
    pub async fn signup(
        &self,
        smtp: &rekey_testkit::SmtpServer,
        email: &str,
        password: &str,
    ) -> serde_json::Value {
        let before = smtp.count_for(email);
        self.run(
            &[
                "signup",
                "--region",
                "jp",
                "--email",
                email,
                "--send-code-only",
            ],
            None,
        )
        .await
        .ok("signup --send-code-only");
        let code = smtp.nth_for(email, before + 1).await.code();
        self.run(
            &[
                "signup",
                "--email",
                email,
                "--code",
                &code,
                "--password-stdin",
                "--accept-agreement",
            ],
            Some(&format!("{password}\n")),
        )
        .await
        .ok("signup --code")
        .json()
    }
}
