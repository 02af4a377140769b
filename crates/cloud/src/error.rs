//! What can go wrong while serving a request: a [`Problem`] the user can act on (shown as a
//! catalog message) or an internal failure (logged with its whole cause chain, shown as a
//! generic message).

use axum::http::StatusCode;
use rekey_web::Lang;
use rekey_web::i18n::{Arg, Message};

use crate::store::StoreError;
use crate::store::codes::CodeError;

/// A problem the user can act on.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Catalog key of the message.
    pub key: &'static str,
    /// Arguments of the message.
    pub args: Vec<(&'static str, Arg)>,
    /// HTTP status for the JSON API.
    pub status: StatusCode,
    /// Seconds until a retry can work, when known.
    pub retry_after: Option<i64>,
}

impl Problem {
    /// A `400 Bad Request` problem.
    pub fn bad(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
            status: StatusCode::BAD_REQUEST,
            retry_after: None,
        }
    }

    /// The same problem with another status.
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The same problem with an argument.
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    /// A `429 Too Many Requests` problem saying when to retry.
    pub fn wait(key: &'static str, seconds: i64) -> Self {
        Self {
            key,
            args: vec![
                ("seconds", seconds.into()),
                ("minutes", ((seconds + 59) / 60).into()),
            ],
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(seconds),
        }
    }

    /// A `503 Service Unavailable` problem: too busy now, try again in a moment.
    pub fn busy() -> Self {
        Self {
            key: "error-busy",
            args: Vec::new(),
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: Some(2),
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        crate::mail::strip_isolates(&lang.t_args(self.key, &self.args))
    }
}

/// The error of every service function.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Something the user can fix.
    #[error("{}", .0.key)]
    Problem(Problem),
    /// Something failed on our side.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The message to show in `lang`; internal details never reach a page.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Problem(p) => p.message(lang),
            AppError::Internal(_) => lang.t("error-internal"),
        }
    }

    /// The catalog key of the message shown for this error.
    pub fn key(&self) -> &'static str {
        match self {
            AppError::Problem(p) => p.key,
            AppError::Internal(_) => "error-internal",
        }
    }

    /// The message to show in `lang`, with its catalog key (pages carry it as `data-error`).
    pub fn shown(&self, lang: Lang) -> Message {
        Message {
            key: self.key(),
            text: self.message(lang),
        }
    }

    /// Logs an internal error with its cause chain; problems are not logged.
    pub fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
    }
}

impl From<Problem> for AppError {
    fn from(p: Problem) -> Self {
        AppError::Problem(p)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Taken("e-mail address") => Problem::bad("cloud-email-taken")
                .status(StatusCode::CONFLICT)
                .into(),
            StoreError::Taken(_) => Problem::bad("cloud-username-taken")
                .status(StatusCode::CONFLICT)
                .into(),
            StoreError::Database(e) => {
                AppError::Internal(anyhow::Error::new(e).context("database"))
            }
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e).into()
    }
}

impl From<CodeError> for AppError {
    fn from(e: CodeError) -> Self {
        let key = e.message_key();
        match e {
            CodeError::Store(s) => s.into(),
            CodeError::Cooldown { retry_after } => Problem::wait(key, retry_after).into(),
            CodeError::Wrong { tries_left } => Problem::bad(key).arg("tries", tries_left).into(),
            CodeError::TooManyTries => Problem::bad(key)
                .status(StatusCode::TOO_MANY_REQUESTS)
                .into(),
            _ => Problem::bad(key).into(),
        }
    }
}

/// Shorthand.
pub type AppResult<T> = Result<T, AppError>;
