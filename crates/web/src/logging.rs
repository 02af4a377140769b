//! How both applications log: to standard error, filtered by `RUST_LOG`, as human-readable text
//! (coloured only on a terminal, never in a file) or as one JSON object per line for a log
//! collector; and the request id that ties a request's log lines to its response
//! (`X-Request-Id`).

use std::io::IsTerminal;
use std::str::FromStr;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Text for people.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, the event's fields
    /// (`message` among them) and, inside a request, `span` with its `request_id`.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(format!("unknown log format {s:?}: text or json")),
        }
    }
}

/// Installs the process's logger: `RUST_LOG` if set, else `default_filter`.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// A request's id: 16 hexadecimal digits, fresh for every request (an id sent by the client is
/// not taken: it could be made to collide with another's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The response header that carries the [`RequestId`].
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Middleware (for `axum::middleware::from_fn`, outermost): gives the request a [`RequestId`]
/// (in its extensions), runs it inside a log span named `request` with the id, the method and
/// the path (never the query string, which may hold a register code), and gives the response the
/// `X-Request-Id` header.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = crate::random_id();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path()
    );
    let mut response = next.run(req).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse() {
        assert_eq!("json".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!("text".parse::<LogFormat>(), Ok(LogFormat::Text));
        assert!("xml".parse::<LogFormat>().is_err());
    }
}
