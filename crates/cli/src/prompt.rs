//! Asking the user for values on the terminal, and reading secrets from stdin for scripts.
//!
//! Prompts go to stderr so that stdout carries only results. When stdin is not a terminal,
//! nothing is asked: a missing value is a [`UsageError`] naming the flag that provides it.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use rekey_web::Secret;

use crate::UsageError;

/// Asks for values when stdin is a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Prompter {
    interactive: bool,
}

impl Prompter {
    /// A prompter that asks only if stdin is a terminal.
    pub fn new() -> Self {
        Self {
            interactive: std::io::stdin().is_terminal(),
        }
    }

    /// A prompter that never asks (as when stdin is not a terminal).
    pub fn non_interactive() -> Self {
        Self { interactive: false }
    }

    /// Whether values can be asked for.
    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// Fails with a message naming `flag` unless values can be asked for.
    pub fn require(&self, what: &str, flag: &str) -> Result<(), UsageError> {
        if self.interactive {
            Ok(())
        } else {
            Err(missing(what, flag))
        }
    }

    /// Asks for a line of text (asked again while empty).
    pub fn text(&self, label: &str, what: &str, flag: &str) -> anyhow::Result<String> {
        self.require(what, flag)?;
        loop {
            eprint!("{label}: ");
            std::io::stderr().flush().ok();
            let line = read_line()?.with_context(|| format!("no {what} given"))?;
            let line = line.trim();
            if !line.is_empty() {
                return Ok(line.to_string());
            }
        }
    }

    /// Asks for a secret without echoing it.
    pub fn password(&self, label: &str, what: &str, flag: &str) -> anyhow::Result<Secret<String>> {
        self.require(what, flag)?;
        let value = rpassword::prompt_password(format!("{label}: "))
            .with_context(|| format!("cannot read the {what}"))?;
        Ok(Secret::new(value))
    }

    /// Asks a yes/no question; only `y` or `yes` is yes.
    pub fn confirm(&self, question: &str, flag: &str) -> anyhow::Result<bool> {
        self.require("a confirmation", flag)?;
        eprint!("{question} [y/N] ");
        std::io::stderr().flush().ok();
        let answer = read_line()?.unwrap_or_default();
        Ok(is_yes(&answer))
    }
}

impl Default for Prompter {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether an answer to a yes/no question is yes.
pub fn is_yes(answer: &str) -> bool {
    matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "ｙ" | "はい"
    )
}

/// The error for a value that is needed but cannot be asked for.
pub fn missing(what: &str, flag: &str) -> UsageError {
    UsageError(format!(
        "{what} is needed: pass {flag} (stdin is not a terminal, so rekey cannot ask)"
    ))
}

/// Reads one line from stdin; `None` at end of input.
fn read_line() -> anyhow::Result<Option<String>> {
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read from stdin")?;
    Ok((n > 0).then_some(line))
}

/// Reads a secret from the next line of stdin (for `--password-stdin`): only the line break is
/// removed, so passwords may start or end with spaces.
pub fn stdin_secret(what: &str) -> anyhow::Result<Secret<String>> {
    let line = Secret::new(read_line()?.unwrap_or_default());
    let value = line.expose().trim_end_matches(['\n', '\r']).to_string();
    if value.is_empty() {
        return Err(UsageError(format!("no {what} on stdin: give it as one line")).into());
    }
    Ok(Secret::new(value))
}
