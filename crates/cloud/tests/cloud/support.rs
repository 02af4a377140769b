//! The harness: a fresh cloud (random port, fresh database on SQLite or PostgreSQL, a manual
//! clock), a real SMTP server it delivers to, an HTTP client with cookies, and a test recorder
//! that speaks the gateway protocol.

use std::sync::Arc;
use std::time::Duration;

use rekey_cloud::config::Config;
use rekey_cloud::startup::Application;
use rekey_cloud::state::AppState;
use rekey_web::{Clock, ManualClock};

use rekey_testkit::SmtpServer;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server URL for tests (a fresh database is made per test), if configured.
/// In CI it must be configured: a PostgreSQL test that cannot run fails there.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("REKEY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
                panic!(
                    "CI is set but REKEY_TEST_POSTGRES_URL is not: the PostgreSQL suite must run in CI"
                );
            }
            eprintln!(
                "\n*** SKIPPED: PostgreSQL tests (set REKEY_TEST_POSTGRES_URL=postgres://USER@HOST/DB to run them) ***\n"
            );
            None
        }
    }
}

/// Makes a fresh PostgreSQL database and returns its URL.
pub async fn fresh_postgres(admin: &str) -> String {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let name = format!("rekey_test_{}", hex(&rekey_web::random_array::<8>()));
    let pool = sqlx::AnyPool::connect(admin)
        .await
        .expect("connect to the PostgreSQL test server");
    pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create test database");
    pool.close().await;
    let (base, _) = admin.rsplit_once('/').expect("a database URL has a path");
    format!("{base}/{name}")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A running cloud.
pub struct TestApp {
    pub base: String,
    /// The metrics listener, when configured.
    pub metrics_base: Option<String>,
    pub http: reqwest::Client,
    pub smtp: SmtpServer,
    pub clock: ManualClock,
    pub state: AppState,
    pub config: Config,
    pub data_dir: Arc<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)
    }
}

/// Starts a cloud on `backend`; `None` if that backend is not available here (outside CI).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with the test configuration changed by `configure` first.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> Option<TestApp> {
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres(&postgres_admin_url()?).await),
    };
    let smtp = SmtpServer::start().await;
    let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut config = Config::for_local(data_dir.path(), database_url, Some(smtp.url()), 7);
    config.heartbeat_secs = 1;
    config.metrics_listen = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    configure(&mut config);
    let clock = ManualClock::new(1_795_000_000);
    Some(start(config, clock, smtp, data_dir).await)
}

/// Starts a cloud with `config` as given (e.g. parsed from flags), which sends mail to `smtp` if
/// it names it.
pub async fn spawn_app_from(config: Config, smtp: SmtpServer) -> TestApp {
    let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    start(config, ManualClock::new(1_795_000_000), smtp, data_dir).await
}

async fn start(
    config: Config,
    clock: ManualClock,
    smtp: SmtpServer,
    data_dir: Arc<tempfile::TempDir>,
) -> TestApp {
    let app = Application::build_with_clock(config.clone(), Arc::new(clock.clone()))
        .await
        .expect("build the cloud");
    let base = format!("http://127.0.0.1:{}", app.port());
    let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
    let state = app.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    TestApp {
        base,
        metrics_base,
        http: client(),
        smtp,
        clock,
        state,
        config,
        data_dir,
        shutdown: Some(tx),
        server: Some(server),
    }
}

/// A browser-like client: cookies, no automatic redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The value of `series` (a metric's name with its labels as Prometheus prints them, e.g.
    /// `rekey_codes_issued_total{kind="challenge"}`) at `/metrics` now; `None` if not shown.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let base = self.metrics_base.as_ref().expect("the metrics listener");
        let text = self
            .http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
    }

    /// The same cloud seen by another browser (its own cookies).
    pub fn other_browser(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            metrics_base: self.metrics_base.clone(),
            http: client(),
            smtp: self.smtp.clone(),
            clock: self.clock.clone(),
            state: self.state.clone(),
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            shutdown: None,
            server: None,
        }
    }

    /// Stops the server and closes the database.
    pub async fn stop(mut self) -> Self {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Recorders are told to reconnect, as by a cloud shutting down.
        self.state.close_gateway().await;
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
        self.state.store.db.close().await;
        self
    }

    /// Stops the server and starts a new one on the same data (database, keys); the port changes.
    pub async fn restart(self) -> TestApp {
        let stopped = self.stop().await;
        let mut config = stopped.config.clone();
        config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let mut app = start(
            config,
            stopped.clock.clone(),
            stopped.smtp.clone(),
            stopped.data_dir.clone(),
        )
        .await;
        app.http = stopped.http.clone();
        app
    }

    /// GETs a page and returns (status, body).
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.http.get(self.url(path)).send().await.expect("GET");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    /// The CSRF token of the form on `path`.
    pub async fn csrf(&self, path: &str) -> String {
        let (_, body) = self.get(path).await;
        csrf_of(&body).unwrap_or_else(|| panic!("no CSRF field on {path}: {body}"))
    }

    /// POSTs a form (adding the CSRF token from `form_page`) and returns (status, location, body).
    pub async fn post(
        &self,
        form_page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, String) {
        let csrf = self.csrf(form_page).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// [`TestApp::post`], then GETs the page a `303 See Other` leads to (post/redirect/get);
    /// returns (status, body) of the page finally shown.
    pub async fn post_follow(
        &self,
        form_page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String) {
        let (status, location, body) = self.post(form_page, path, fields).await;
        if status == 303 {
            self.get(&location).await
        } else {
            (status, body)
        }
    }

    /// POSTs a form as given.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let r = self
            .http
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, location, r.text().await.unwrap_or_default())
    }

    /// "+ Add Device" on My Cloud Devices; returns the page.
    pub async fn add_device(&self, code: &str, name: &str) -> String {
        let fields = [("code", code), ("name", name)];
        self.post("/devices", "/devices/add", &fields).await.2
    }

    /// Signs up in the PC order and stays logged in; returns the e-mail address.
    pub async fn signup_pc(&self, username: &str, email: &str, password: &str) {
        let before = self.smtp.count_for(email);
        let (status, _, body) = self
            .post(
                "/signup",
                "/signup",
                &[
                    ("username", username),
                    ("password", password),
                    ("confirm", password),
                    ("region", "jp"),
                    ("email", email),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(r#"action="/signup/verify""#),
            "step 2 expected: {body}"
        );
        let code = self.smtp.nth_for(email, before + 1).await.code();
        let (status, location, body) = self
            .post(
                "/signup",
                "/signup/verify",
                &[("email", email), ("code", &code), ("agree", "yes")],
            )
            .await;
        assert_eq!((status, location.as_str()), (303, "/devices"), "{body}");
    }

    /// Waits until a delivery attempt failed and was recorded (the SMTP server refused it).
    pub async fn first_delivery_failed(&self) {
        eventually(20, "the first attempt fails and is recorded", || async {
            self.state
                .store
                .recent_mail(5)
                .await
                .unwrap()
                .iter()
                .any(|m| m.attempts == 1 && m.last_error.is_some())
        })
        .await;
    }

    /// JSON API call with an optional token; returns (status, JSON).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let url = self.url(&format!("/api/v1{path}"));
        let mut req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        req = req.header("accept-language", "en");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("API call");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

impl TestApp {
    /// Logs `login` in through the JSON API and returns the session's bearer token.
    pub async fn api_token(&self, login: &str, password: &str) -> String {
        let body = serde_json::json!({"login": login, "password": password});
        let (status, body) = self.api("POST", "/login", None, body).await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().expect("a token").to_string()
    }

    /// Runs the housekeeping sweep now (by the test clock) with `retention`.
    pub async fn sweep(
        &self,
        retention: &rekey_cloud::store::sweep::Retention,
    ) -> rekey_cloud::store::sweep::Swept {
        (self.state.store.sweep(self.clock.now(), retention).await).expect("sweep")
    }

    /// The device with `serial` as stored (it must exist).
    pub async fn device(&self, serial: &str) -> rekey_cloud::store::devices::Device {
        let serial = rekey_proto::Serial::parse(serial).expect("a serial");
        (self.state.store.device_by_serial(&serial).await)
            .expect("the store answers")
            .expect("the device")
    }
}

/// An API answer's status and error key (empty when it has none).
pub fn api_error(answer: &(u16, serde_json::Value)) -> (u16, &str) {
    (answer.0, answer.1["error"].as_str().unwrap_or_default())
}

/// The value of the first `csrf` hidden field.
pub fn csrf_of(html: &str) -> Option<String> {
    let i = html.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    Some(html[i..].split('"').next()?.to_string())
}

/// Whether the page shows `text` (HTML-escaped as the templates escape it).
pub fn shows(html: &str, text: &str) -> bool {
    let escaped = text
        .replace('&', "&amp;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    html.contains(text) || html.contains(&escaped)
}

/// Polls `check` until it holds or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within {secs} s: {what}");
}

/// The `value` of the input named `name`.
pub fn value_of(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let i = html.find(&marker)? + marker.len();
    let raw = html[i..].split('"').next()?;
    Some(
        raw.replace("&#38;", "&")
            .replace("&amp;", "&")
            .replace("&#34;", "\"")
            .replace("&#39;", "'"),
    )
}

/// The text between `start` and the next `end`.
pub fn between(html: &str, start: &str, end: &str) -> Option<String> {
    let i = html.find(start)? + start.len();
    Some(html[i..].split(end).next()?.to_string())
}

/// A page of the testkit's browser holding `html`.
pub fn page_of(html: &str) -> rekey_testkit::browser::Page {
    rekey_testkit::browser::Page {
        status: 200,
        location: None,
        url: String::new(),
        body: html.to_owned(),
    }
}

/// The catalog keys of the errors the page shows (`data-error`), in order.
pub fn error_keys(html: &str) -> Vec<String> {
    page_of(html).error_keys()
}

/// The catalog keys of the notices the page shows (`data-notice`), in order.
pub fn notice_keys(html: &str) -> Vec<String> {
    page_of(html).notice_keys()
}

/// Whether the page shows the error with catalog key `key`.
pub fn has_error(html: &str, key: &str) -> bool {
    page_of(html).has_error(key)
}

/// Whether the page shows the notice with catalog key `key`.
pub fn has_notice(html: &str, key: &str) -> bool {
    page_of(html).has_notice(key)
}

/// Whether `mail` is the mail `kind` (its subject and body as the catalog renders them in
/// English, with the code lifetime `minutes`): which mail it is and what it carries, not how
/// it is worded.
pub fn is_mail(
    mail: &rekey_testkit::smtp::Mail,
    kind: rekey_cloud::mail::MailKind,
    minutes: i64,
) -> bool {
    let (subject, body) = kind.render(rekey_web::Lang::En, minutes);
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    mail.subject == subject && words(&mail.body) == words(&body)
}

/// Whether `text` is the English catalog message `key` with some value in its argument `arg`
/// (e.g. a time the test cannot know), the other arguments as given.
pub fn is_message_with(
    text: &str,
    key: &str,
    arg: &'static str,
    others: &[(&'static str, rekey_web::i18n::Arg)],
) -> bool {
    const MARK: &str = "\u{1}";
    let mut args = others.to_vec();
    args.push((arg, MARK.into()));
    let pattern = rekey_web::Lang::En.t_args(key, &args);
    let Some((before, after)) = pattern.split_once(MARK) else {
        return false;
    };
    text.len() > before.len() + after.len() && text.starts_with(before) && text.ends_with(after)
}

/// Whether the page shows the English catalog message `key` with some value in its argument
/// `arg` (e.g. a time the test cannot know).
pub fn shows_message_with(html: &str, key: &str, arg: &'static str) -> bool {
    const MARK: &str = "\u{1}";
    let pattern = rekey_web::Lang::En.t_args(key, &[(arg, MARK.into())]);
    let Some((before, after)) = pattern.split_once(MARK) else {
        return false;
    };
    let text = page_of(html).visible_text();
    text.match_indices(before).any(|(i, _)| {
        let rest = &text[i + before.len()..];
        after.is_empty()
            || rest
                .find(after)
                .is_some_and(|j| j > 0 && !rest[..j].contains('\n'))
    })
}
