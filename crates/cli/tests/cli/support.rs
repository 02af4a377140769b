//! Helpers: a scripted HTTP peer, running the built binary, QR images.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rekey_web::Lang;
use rekey_web::i18n::Arg;
use serde_json::Value;

/// One request the peer received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub accept_language: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

/// What the peer answers to one method and path.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: ReplyBody,
}

#[derive(Debug, Clone)]
pub enum ReplyBody {
    Json(Value),
    Empty,
    Text(&'static str),
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: ReplyBody::Json(body),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            body: ReplyBody::Empty,
        }
    }

    pub fn text(status: u16, text: &'static str) -> Self {
        Self {
            status,
            body: ReplyBody::Text(text),
        }
    }
}

#[derive(Default)]
struct Shared {
    replies: Mutex<HashMap<(String, String), Reply>>,
    seen: Mutex<Vec<Seen>>,
}

/// A scripted HTTP peer on 127.0.0.1: answers each `METHOD /path` as told, 404 otherwise, and
/// records every request. It serves on its own thread until the test process ends.
pub struct FakeCloud {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeCloud {
    pub fn start() -> Self {
        let shared = Arc::new(Shared::default());
        // Bound before the server task starts, so connections queue from now on: no waiting.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().fallback(answer).with_state(shared.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, app).await.expect("serve");
            });
        });
        Self { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers `method path` (path below `/api/v1`) with `reply`.
    pub fn on(&self, method: &str, path: &str, reply: Reply) -> &Self {
        self.shared
            .replies
            .lock()
            .unwrap()
            .insert((method.to_string(), format!("/api/v1{path}")), reply);
        self
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// The requests to `method path` (below `/api/v1`).
    pub fn seen_at(&self, method: &str, path: &str) -> Vec<Seen> {
        let full = format!("/api/v1{path}");
        self.seen()
            .into_iter()
            .filter(|s| s.method == method && s.path == full)
            .collect()
    }
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let path = uri.path().to_string();
    shared.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: path.clone(),
        authorization: header("authorization"),
        accept_language: header("accept-language"),
        content_type: header("content-type"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let reply = shared
        .replies
        .lock()
        .unwrap()
        .get(&(method.to_string(), path))
        .cloned();
    let Some(reply) = reply else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": "not-found", "message": "no such page"})),
        )
            .into_response();
    };
    let status = StatusCode::from_u16(reply.status).expect("status");
    match reply.body {
        ReplyBody::Json(v) => (status, axum::Json(v)).into_response(),
        ReplyBody::Empty => status.into_response(),
        ReplyBody::Text(t) => (status, t).into_response(),
    }
}

/// What a run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// The English catalog message `key`: what the binary prints in a non-Japanese locale.
pub fn en(key: &str) -> String {
    Lang::En.t(key)
}

/// The English catalog message `key` with arguments.
pub fn en_args(key: &str, args: &[(&'static str, Arg)]) -> String {
    Lang::En.t_args(key, args)
}

/// The English error for a value (`what`: a `cli-what-*` key) that must be given as `flag`
/// because stdin is not a terminal.
pub fn en_missing(what: &str, flag: &str) -> String {
    en_args(
        "cli-missing-value",
        &[("what", en(what).into()), ("flag", flag.into())],
    )
}

/// Runs the built `rekey` with `args`, the config directory `config`, `stdin` piped in (so stdin
/// is never a terminal) and a clean environment for the variables it reads (an English locale).
pub fn rekey(config: &Path, args: &[&str], stdin: &str) -> Run {
    rekey_in(config, "C", args, stdin)
}

/// [`rekey`] with the locale `LANG=lang`.
pub fn rekey_in(config: &Path, lang: &str, args: &[&str], stdin: &str) -> Run {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rekey"))
        .args(args)
        .env_remove("REKEY_CLOUD")
        .env("REKEY_CONFIG_DIR", config)
        .env_remove("REKEY_LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rekey");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    let out = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A QR code of `text` as a greyscale image, `module` pixels per module, with a quiet zone.
pub fn qr_image(text: &str, module: u32) -> image::GrayImage {
    qrcode::QrCode::new(text.as_bytes())
        .expect("qr")
        .render::<image::Luma<u8>>()
        .module_dimensions(module, module)
        .build()
}

/// A registration QR URL for a fixed register code.
pub fn registration_url() -> (String, rekey_proto::RegisterCode) {
    let code = rekey_proto::RegisterCode::from_random([7, 1, 2, 3, 4, 5, 6]);
    let url = rekey_proto::RegistrationQr { code: code.clone() }
        .to_url(&rekey_proto::CloudBase::parse("https://cloud.example.com").unwrap());
    (url, code)
}

/// A recovery QR URL for a fixed challenge.
pub fn recovery_url(base: &str, expires_at: i64) -> String {
    let key = rekey_proto::RecoveryKey::from_bytes([9; 32]);
    let serial = rekey_proto::Serial::parse("RK12AB34").unwrap();
    let challenge = rekey_proto::Challenge {
        nonce: [5; 16],
        expires_at,
        email: rekey_proto::Email::parse("owner+nvr@example.jp").unwrap(),
    };
    rekey_proto::RecoveryQr::new(&key, serial, challenge)
        .to_url(&rekey_proto::CloudBase::parse(base).unwrap())
}

/// Writes a session for `cloud` into `config`.
pub fn log_in(config: &Path, cloud: &str, token: &str) {
    let store = rekey_cli::session::Store::new(Some(config.to_path_buf())).unwrap();
    store
        .save_session(&rekey_cli::session::Session {
            cloud: cloud.to_string(),
            username: "taro".into(),
            token: rekey_web::Secret::new(token.to_string()),
        })
        .unwrap();
}
