//! The commands, and what they share: the context built from the global options, and the choice
//! of cloud and session.

mod account;
mod auth;
pub mod devices;
pub mod recover;
mod signup;
pub mod transfer;

use std::future::Future;

use anyhow::Context;
use rekey_proto::CloudBase;
use rekey_web::{Lang, Secret};

use crate::UsageError;
use crate::api::{ApiError, Client};
use crate::cli::{Cli, Command, DEFAULT_CLOUD};
use crate::output::Output;
use crate::prompt::{Prompter, stdin_secret};
use crate::session::{Session, Store};
use crate::ui::Spinner;

/// Runs the command named on the command line, speaking `lang`.
pub async fn run(cli: Cli, lang: Lang) -> anyhow::Result<()> {
    let ctx = Ctx::from_cli(&cli, lang)?;
    match cli.command {
        Command::Signup(args) => signup::run(&ctx, args).await,
        Command::Login(args) => auth::login(&ctx, args).await,
        Command::Logout => auth::logout(&ctx).await,
        Command::Account(args) => account::run(&ctx, args).await,
        Command::Devices(args) => devices::run(&ctx, args).await,
        Command::Recover(args) => recover::recover(&ctx, args).await,
        Command::Retrieve(args) => recover::retrieve(&ctx, args).await,
        Command::Transfer(args) => transfer::run(&ctx, args).await,
        Command::Accept(args) => transfer::accept(&ctx, args).await,
    }
}

/// What every command works with.
#[derive(Debug)]
pub struct Ctx {
    /// Where results go.
    pub out: Output,
    /// The spinner shown while waiting on the cloud.
    pub spinner: Spinner,
    /// Asks for missing values, if stdin is a terminal.
    pub prompt: Prompter,
    /// The language of the messages, also asked of the cloud.
    pub lang: Lang,
    /// The config directory.
    pub store: Store,
    /// The cloud named by `--cloud` or `REKEY_CLOUD`.
    pub explicit_cloud: Option<CloudBase>,
}

impl Ctx {
    /// The context for the global options, in the language chosen at start.
    pub fn from_cli(cli: &Cli, lang: Lang) -> anyhow::Result<Self> {
        let explicit_cloud = cli
            .cloud
            .as_deref()
            .map(|c| parse_cloud(lang, c))
            .transpose()?;
        Ok(Self {
            out: Output::new(cli.json),
            spinner: Spinner::new(cli.json),
            prompt: Prompter::new(lang),
            lang,
            store: Store::new(cli.config_dir.clone())?,
            explicit_cloud,
        })
    }

    /// The account's current password, typed again to confirm a change: one line of stdin with
    /// `--password-stdin` (`from_stdin`), else asked at the terminal.
    pub fn current_password(&self, from_stdin: bool) -> anyhow::Result<Secret<String>> {
        if from_stdin {
            stdin_secret(self.lang, "cli-what-current-password")
        } else {
            self.prompt.password(
                "cli-label-current-password",
                "cli-what-current-password",
                "--password-stdin",
            )
        }
    }

    /// The catalog message `key` in the context's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The catalog message `key` with arguments, in the context's language.
    pub fn t_args(&self, key: &str, args: &[(&'static str, rekey_web::i18n::Arg)]) -> String {
        self.lang.t_args(key, args)
    }

    /// Awaits a call to the cloud with the spinner showing the message `key` (`cli-wait-*`).
    pub async fn wait<T>(
        &self,
        key: &str,
        fut: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        self.spinner.wait(&self.lang.t(key), fut).await
    }

    fn client(&self, cloud: CloudBase, session: Option<&Session>) -> anyhow::Result<Client> {
        warn_if_plain_http(self.lang, &cloud);
        let token = session.map(|s| s.token.clone());
        Ok(Client::new(cloud, self.lang, token)?)
    }

    /// A client without a session, for the cloud named by `--cloud`, else the stored session's
    /// cloud, else the default.
    pub fn anonymous_client(&self) -> anyhow::Result<Client> {
        let cloud = match &self.explicit_cloud {
            Some(c) => c.clone(),
            None => match self.store.load_session()? {
                Some(s) => parse_cloud(self.lang, &s.cloud)?,
                None => parse_cloud(self.lang, DEFAULT_CLOUD)?,
            },
        };
        self.client(cloud, None)
    }

    /// The stored session and a client of its cloud carrying its token. Fails if there is no
    /// session, or if `--cloud` names another cloud (the token is never sent elsewhere).
    pub fn session_client(&self) -> anyhow::Result<(Client, Session)> {
        let session = self.store.load_session()?.ok_or(ApiError::NotLoggedIn)?;
        let cloud = parse_cloud(self.lang, &session.cloud).with_context(|| {
            let path = self.store.session_path().display().to_string();
            self.t_args("cli-bad-session-cloud", &[("path", path.into())])
        })?;
        if let Some(explicit) = &self.explicit_cloud
            && explicit != &cloud
        {
            return Err(UsageError(self.t_args(
                "cli-session-other-cloud",
                &[
                    ("cloud", cloud.to_string().into()),
                    ("other", explicit.to_string().into()),
                ],
            ))
            .into());
        }
        let client = self.client(cloud, Some(&session))?;
        Ok((client, session))
    }

    /// A client of the cloud for commands that work with or without a session: it carries the
    /// session's token only if the session belongs to the cloud used.
    pub fn optional_session_client(&self) -> anyhow::Result<Client> {
        let session = self.store.load_session()?;
        let cloud = match (&self.explicit_cloud, &session) {
            (Some(c), _) => c.clone(),
            (None, Some(s)) => parse_cloud(self.lang, &s.cloud)?,
            (None, None) => parse_cloud(self.lang, DEFAULT_CLOUD)?,
        };
        let session =
            session.filter(|s| parse_cloud(self.lang, &s.cloud).ok().as_ref() == Some(&cloud));
        self.client(cloud, session.as_ref())
    }
}

/// Parses a cloud address such as `https://cloud.example.com`.
pub fn parse_cloud(lang: Lang, input: &str) -> Result<CloudBase, UsageError> {
    CloudBase::parse(input).map_err(|e| {
        UsageError(lang.t_args(
            "cli-bad-cloud",
            &[
                ("input", format!("{input:?}").into()),
                ("reason", e.to_string().into()),
            ],
        ))
    })
}

/// Warns on stderr when passwords and tokens would cross the network unencrypted.
fn warn_if_plain_http(lang: Lang, cloud: &CloudBase) {
    let Some(rest) = cloud.as_str().strip_prefix("http://") else {
        return;
    };
    let host = rest.split('/').next().unwrap_or("");
    let host = host
        .rsplit_once(':')
        .filter(|(h, port)| !h.is_empty() && port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    let local = host == "localhost" || host.starts_with("127.") || host == "[::1]";
    if !local {
        eprintln!(
            "{}",
            lang.t_args(
                "cli-warning-plain-http",
                &[("cloud", cloud.to_string().into())]
            )
        );
    }
}

/// Tries a step that uses a typed code up to three times when the code was typed at a terminal:
/// a refused code is reported and asked for again.
pub async fn with_code_retries<T, F, Fut>(
    ctx: &Ctx,
    given: Option<String>,
    mut step: F,
) -> anyhow::Result<T>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    if let Some(code) = given {
        return Ok(step(normalize_code(&code)).await?);
    }
    let mut tries = 0;
    loop {
        tries += 1;
        let code = ctx
            .prompt
            .text("cli-label-code", "cli-what-code", "--code")?;
        match step(normalize_code(&code)).await {
            Ok(v) => return Ok(v),
            Err(ApiError::Rejected {
                status,
                message,
                retry_after: None,
                ..
            }) if tries < 3
                && (400..500).contains(&status)
                && ![401, 404, 429].contains(&status) =>
            {
                eprintln!("{}", crate::output::clean(&message));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// A typed verification code without spaces or hyphens.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}
