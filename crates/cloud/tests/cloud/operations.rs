//! Issue 9, operations: what a load balancer and an orchestrator ask a node.

use serde_json::Value;

use crate::support::TestApp;

async fn readyz(app: &TestApp) -> (u16, Value) {
    let (status, body) = app.get("/readyz").await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// `/readyz` is 200 only while the database answers with this version's schema and the node is
/// not draining, and names the reason otherwise; `/healthz` (liveness) stays 200 throughout.
pub async fn readiness_follows_the_database_and_draining(app: TestApp) {
    let (status, body) = readyz(&app).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    let pool = &app.state.store.db.pool;

    // A newer version migrated the database: this node must not serve it.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         SELECT 99990101000000, 'from a newer version', success, checksum, execution_time
         FROM _sqlx_migrations WHERE version = (SELECT MIN(version) FROM _sqlx_migrations)",
    )
    .execute(pool)
    .await
    .expect("add a migration");
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("schema_ahead"))
    );
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 99990101000000")
        .execute(pool)
        .await
        .expect("remove it");
    assert_eq!(readyz(&app).await.0, 200);

    // One of this version's migrations is missing.
    sqlx::query(
        "UPDATE _sqlx_migrations SET success = FALSE
         WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(pool)
    .await
    .expect("mark a migration failed");
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("schema_behind"))
    );
    sqlx::query(
        "UPDATE _sqlx_migrations SET success = TRUE
         WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(pool)
    .await
    .expect("mark it applied again");
    assert_eq!(readyz(&app).await.0, 200);

    // Draining (what a shutdown sets first).
    app.state
        .draining
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, body) = readyz(&app).await;
    assert_eq!((status, body["reason"].as_str()), (503, Some("draining")));
    app.state
        .draining
        .store(false, std::sync::atomic::Ordering::SeqCst);

    // The database is gone.
    pool.close().await;
    let (status, body) = readyz(&app).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("database_unreachable"))
    );
    assert_eq!(app.get("/healthz").await.0, 200);
}

/// Every response names its request's id, a fresh one each time.
pub async fn every_response_names_its_request_id(app: TestApp) {
    let mut ids = Vec::new();
    for path in ["/healthz", "/readyz", "/login", "/no-such-page"] {
        let r = app.http.get(app.url(path)).send().await.expect("GET");
        let id = r
            .headers()
            .get(rekey_web::logging::REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("{path} has no request id"));
        assert_eq!(id.len(), 16, "{id}");
        ids.push(id);
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "each request its own id");
}

/// The real program with `--log-format json`: every line it logs is one JSON object, a
/// request's lines carry its id (the one in the response's header), and SIGTERM ends it with
/// status 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_request_id() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rekey-cloud"))
        .arg("--dev")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("RUST_LOG", "info,sqlx=warn,tower_http=debug")
        .env_remove("REKEY_CLOUD_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start rekey-cloud");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut next = async || -> Option<Value> {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("a log line in time")
            .expect("read the log")?;
        Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
    };
    // The line that says where it listens.
    let address = loop {
        let line = next().await.expect("the cloud logs until it listens");
        if let Some(a) = line["address"].as_str() {
            break a.to_string();
        }
    };
    let r = reqwest::get(format!("http://{address}/readyz"))
        .await
        .expect("GET /readyz");
    assert_eq!(r.status().as_u16(), 200);
    let id = r.headers()[rekey_web::logging::REQUEST_ID_HEADER]
        .to_str()
        .expect("ASCII")
        .to_string();
    loop {
        let line = next().await.expect("the request is logged");
        if line["span"]["request_id"].as_str() == Some(id.as_str()) {
            assert_eq!(line["span"]["path"].as_str(), Some("/readyz"));
            break;
        }
    }
    let pid = child.id().expect("running");
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(killed.success());
    while next().await.is_some() {}
    let status = child.wait().await.expect("wait");
    assert!(status.success(), "{status}");
}

/// `/metrics` is served on its own listener only, and shows the connected recorders, the
/// handshakes by outcome, refused attempts by limit, the mail queue and request latencies by
/// route.
pub async fn metrics_show_what_an_operator_watches(app: TestApp) {
    let (status, _) = app.get("/metrics").await;
    assert_eq!(status, 404, "not on the portal's listener");
    assert_eq!(app.metric("rekey_gateway_connections").await, Some(0.0));

    let key = rekey_proto::DeviceSigningKey::from_seed([42; 32]);
    let rec = crate::device::connect(&app.base, "NVR0420", &key).await;
    assert_eq!(app.metric("rekey_gateway_connections").await, Some(1.0));
    assert_eq!(
        app.metric(r#"rekey_gateway_handshakes_total{outcome="welcomed"}"#)
            .await,
        Some(1.0)
    );

    app.signup_pc("meter", "meter@example.com", "correct horse battery staple")
        .await;
    for _ in 0..6 {
        app.api(
            "POST",
            "/login",
            None,
            serde_json::json!({"login": "meter", "password": "not the password"}),
        )
        .await;
    }
    assert!(
        app.metric(r#"rekey_throttled_total{limit="login-account"}"#)
            .await
            .is_some_and(|n| n >= 1.0)
    );
    // The sign-up's verification mail was sent: nothing waits.
    assert_eq!(app.metric("rekey_mail_queue_waiting").await, Some(0.0));
    assert_eq!(app.metric("rekey_mail_dead_letters").await, Some(0.0));
    assert!(
        app.metric(
            r#"rekey_http_request_duration_seconds_count{method="POST",route="/api/v1/login",status="401"}"#
        )
        .await
        .is_some_and(|n| n >= 1.0)
    );
    drop(rec);
}
