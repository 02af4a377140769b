//! Asking the user for values on the terminal, and reading secrets from stdin for scripts.
//!
//! Prompts go to stderr so that stdout carries only results. When stdin is not a terminal,
//! nothing is asked: a missing value is a [`UsageError`] naming the flag that provides it.
//!
//! Labels and the names of values (`what`) are catalog keys (`cli-label-*`, `cli-what-*`),
//! shown in the prompter's language.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use rekey_web::{Lang, Secret};

use crate::UsageError;

/// Asks for values when stdin is a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Prompter {
    interactive: bool,
    lang: Lang,
}

impl Prompter {
    /// A prompter in `lang` that asks only if stdin is a terminal.
    pub fn new(lang: Lang) -> Self {
        Self {
            interactive: std::io::stdin().is_terminal(),
            lang,
        }
    }

    /// A prompter that never asks (as when stdin is not a terminal).
    pub fn non_interactive(lang: Lang) -> Self {
        Self {
            interactive: false,
            lang,
        }
    }

    /// Whether values can be asked for.
    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// Fails with a message naming `flag` unless values can be asked for (`what`: a
    /// `cli-what-*` key).
    pub fn require(&self, what: &str, flag: &str) -> Result<(), UsageError> {
        if self.interactive {
            Ok(())
        } else {
            Err(missing(self.lang, what, flag))
        }
    }

    /// Asks for a line of text (asked again while empty).
    pub fn text(&self, label: &str, what: &str, flag: &str) -> anyhow::Result<String> {
        self.require(what, flag)?;
        loop {
            eprint!("{}: ", self.lang.t(label));
            std::io::stderr().flush().ok();
            let line = read_line(self.lang)?.with_context(|| {
                self.lang
                    .t_args("cli-value-not-given", &what_arg(self.lang, what))
            })?;
            let line = line.trim();
            if !line.is_empty() {
                return Ok(line.to_string());
            }
        }
    }

    /// Asks for a secret without echoing it.
    pub fn password(&self, label: &str, what: &str, flag: &str) -> anyhow::Result<Secret<String>> {
        self.require(what, flag)?;
        let value =
            rpassword::prompt_password(format!("{}: ", self.lang.t(label))).with_context(|| {
                self.lang
                    .t_args("cli-cannot-read-value", &what_arg(self.lang, what))
            })?;
        Ok(Secret::new(value))
    }

    /// Asks a yes/no question (already in the prompter's language); only `y`, `yes` or
    /// `はい` is yes.
    pub fn confirm(&self, question: &str, flag: &str) -> anyhow::Result<bool> {
        self.require("cli-what-confirmation", flag)?;
        eprint!("{question} {} ", self.lang.t("cli-yes-no"));
        std::io::stderr().flush().ok();
        let answer = read_line(self.lang)?.unwrap_or_default();
        Ok(is_yes(&answer))
    }
}

/// Whether an answer to a yes/no question is yes.
pub fn is_yes(answer: &str) -> bool {
    matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "ｙ" | "はい"
    )
}

/// The `what` argument of a message: the `cli-what-*` key `what` in `lang`.
fn what_arg(lang: Lang, what: &str) -> [(&'static str, rekey_web::i18n::Arg); 1] {
    [("what", lang.t(what).into())]
}

/// The error for a value (`what`: a `cli-what-*` key) that is needed but cannot be asked for.
pub fn missing(lang: Lang, what: &str, flag: &str) -> UsageError {
    UsageError(lang.t_args(
        "cli-missing-value",
        &[("what", lang.t(what).into()), ("flag", flag.into())],
    ))
}

/// Reads one line from stdin; `None` at end of input.
fn read_line(lang: Lang) -> anyhow::Result<Option<String>> {
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| lang.t("cli-cannot-read-stdin"))?;
    Ok((n > 0).then_some(line))
}

/// Reads a secret from the next line of stdin (for `--password-stdin`): only the line break is
/// removed, so passwords may start or end with spaces (`what`: a `cli-what-*` key).
pub fn stdin_secret(lang: Lang, what: &str) -> anyhow::Result<Secret<String>> {
    let line = Secret::new(read_line(lang)?.unwrap_or_default());
    let value = line.expose().trim_end_matches(['\n', '\r']).to_string();
    if value.is_empty() {
        return Err(UsageError(lang.t_args("cli-no-stdin-value", &what_arg(lang, what))).into());
    }
    Ok(Secret::new(value))
}
