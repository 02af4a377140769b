//! Secrets at rest: after delivery, no e-mailed code or temporary password is left in the
//! database — not in a row, and on SQLite not in the bytes of `cloud.db`, `-wal` or `-shm`
//! (issue 7, "Why" 7) — and the cloud's data files and directories are private to its user.

use rekey_proto::TemporaryPassword;
use rekey_testkit::SmtpServer;
use rekey_web::Clock;
use serde_json::json;
use sqlx::Row;

use crate::recovery::{challenge, owner_with_recorder, password_in, qr_url};
use crate::support::{TestApp, eventually};

const PW: &str = "correct horse battery staple";

/// A secret as the mail carried it, in every form it appears in.
struct Needle {
    what: &'static str,
    forms: Vec<String>,
}

fn six_digits(what: &'static str, code: String) -> Needle {
    assert_eq!(code.len(), 6, "{what}: {code}");
    Needle {
        what,
        forms: vec![code],
    }
}

fn temporary_password(what: &'static str, grouped: &str) -> Needle {
    let parsed = TemporaryPassword::parse(grouped).expect("a well-formed temporary password");
    let grouped = parsed.to_string();
    assert_eq!(grouped.len(), 19, "{what}: grouped XXXX-XXXX-XXXX-XXXX");
    let compact = grouped.replace('-', "");
    Needle {
        what,
        forms: vec![grouped, compact],
    }
}

/// Where `needle` occurs in `haystack` as a secret would be written: not as part of a longer
/// run of letters and digits (a six-digit code can turn up by chance inside a stored hex hash).
fn occurs(haystack: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    haystack.windows(n.len()).enumerate().any(|(i, w)| {
        w == n
            && !(i > 0
                && haystack[i - 1].is_ascii_alphanumeric()
                && haystack
                    .get(i + n.len())
                    .is_some_and(u8::is_ascii_alphanumeric))
    })
}

fn assert_absent(place: &str, bytes: &[u8], needles: &[Needle]) {
    for needle in needles {
        for form in &needle.forms {
            assert!(
                !occurs(bytes, form),
                "the {} ({form}) is in {place}",
                needle.what
            );
        }
    }
}

/// Every TEXT and BLOB value of every table, as bytes, with where it came from.
async fn every_stored_value(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    let pool = &app.state.store.db.pool;
    let sqlite = app.state.store.db.backend == rekey_cloud::db::Backend::Sqlite;
    let columns: Vec<(String, String, String)> = if sqlite {
        let tables: Vec<String> = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("name"))
        .collect();
        let mut all = Vec::new();
        for t in tables {
            for r in sqlx::query("SELECT name, type FROM pragma_table_info($1)")
                .bind(&t)
                .fetch_all(pool)
                .await
                .unwrap()
            {
                all.push((t.clone(), r.get("name"), r.get::<String, _>("type")));
            }
        }
        all
    } else {
        sqlx::query(
            "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty
             FROM information_schema.columns WHERE table_schema = 'public'",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("t"), r.get("c"), r.get("ty")))
        .collect()
    };
    assert!(
        columns.iter().any(|(t, _, _)| t == "mail_queue"),
        "the schema was read: {columns:?}"
    );
    let mut values = Vec::new();
    for (table, column, ty) in columns {
        let ty = ty.to_ascii_lowercase();
        let blob = ty.contains("blob") || ty.contains("bytea");
        let text = ty.contains("text") || ty.contains("char");
        if !(blob || text) {
            continue;
        }
        let sql = format!("SELECT \"{column}\" AS v FROM \"{table}\"");
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .unwrap()
        {
            let v: Option<Vec<u8>> = if blob {
                r.get("v")
            } else {
                r.get::<Option<String>, _>("v").map(String::into_bytes)
            };
            if let Some(v) = v {
                values.push((format!("{table}.{column}"), v));
            }
        }
    }
    values
}

/// Waits until the mail queue holds no undelivered message.
async fn all_mail_delivered(app: &TestApp) {
    eventually(20, "every queued mail is delivered", || async {
        app.state
            .store
            .recent_mail(1000)
            .await
            .unwrap()
            .iter()
            .all(|m| m.sent_at.is_some())
    })
    .await;
}

pub async fn delivered_codes_and_temporary_passwords_are_not_at_rest(app: TestApp) {
    let mut needles = Vec::new();
    let rec = owner_with_recorder(&app, "kiku", "NVR0301", 131).await;
    let signup = app.smtp.nth_for("kiku@example.com", 1).await;
    needles.push(six_digits("sign-up code", signup.code()));

    // The recovery QR's challenge code, e-mailed to the address in the QR.
    let token = {
        let (status, body) = app
            .api(
                "POST",
                "/login",
                None,
                json!({"login": "kiku", "password": PW}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_string()
    };
    let url = qr_url(&app, &rec, &challenge(&app, "admin@shop.example", 31));
    let (status, body) = app
        .api("POST", "/recover/send", Some(&token), json!({"qr": url}))
        .await;
    assert_eq!(status, 200, "{body}");
    let mail = app.smtp.nth_for("admin@shop.example", 1).await;
    needles.push(temporary_password(
        "challenge code",
        &password_in(&mail.body).to_string(),
    ));

    // Retrieve: the e-mailed code, then the date-window code it gives.
    let today = app.clock.now_utc().date();
    let (from, to) = (
        today.to_string(),
        (today + time::Duration::days(6)).to_string(),
    );
    all_mail_delivered(&app).await;
    let before = app.smtp.count_for("kiku@example.com");
    let (_, _, page) = app
        .post(
            "/devices/NVR0301/retrieve",
            "/devices/NVR0301/retrieve/code",
            &[("from", &from), ("to", &to)],
        )
        .await;
    assert!(
        page.contains(r#"action="/devices/NVR0301/retrieve""#),
        "{page}"
    );
    let retrieve = app
        .smtp
        .nth_for("kiku@example.com", before + 1)
        .await
        .code();
    needles.push(six_digits("Retrieve code", retrieve.clone()));
    let (_, page) = app
        .post_follow(
            "/devices/NVR0301/retrieve",
            "/devices/NVR0301/retrieve",
            &[("from", &from), ("to", &to), ("code", &retrieve)],
        )
        .await;
    let shown = crate::support::between(&page, r#"id="temporary-password" class="code-big">"#, "<")
        .unwrap_or_else(|| panic!("the password is shown: {page}"));
    needles.push(temporary_password("date-window code", &shown));

    // "Forgot your cloud password?": a reset code, whose first delivery fails (so the queue's
    // error column is written too).
    all_mail_delivered(&app).await;
    app.smtp.refuse_next(1);
    let stranger = app.other_browser();
    let before = app.smtp.count_for("kiku@example.com");
    let (_, _, page) = stranger
        .post("/forgot", "/forgot", &[("email", "kiku@example.com")])
        .await;
    assert!(page.contains("/forgot/reset"), "{page}");
    app.first_delivery_failed().await;
    app.clock.advance(11);
    app.state.mail_wake.notify_one();
    let reset = app.smtp.nth_for("kiku@example.com", before + 1).await;
    needles.push(six_digits("reset code", reset.code()));

    all_mail_delivered(&app).await;
    assert!(
        app.state
            .store
            .recent_mail(1000)
            .await
            .unwrap()
            .iter()
            .any(|m| m.attempts >= 2),
        "one delivery was retried"
    );

    // No row holds any of them (both databases).
    for (place, value) in every_stored_value(&app).await {
        assert_absent(&place, &value, &needles);
    }

    if app.state.store.db.backend == rekey_cloud::db::Backend::Sqlite {
        let secure: i64 = sqlx::query("PRAGMA secure_delete")
            .fetch_one(&app.state.store.db.pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(secure, 1, "secure_delete is on");
        let dir = app.data_dir.path();
        let files = |when: &str| {
            let mut seen = 0;
            for name in ["cloud.db", "cloud.db-wal", "cloud.db-shm"] {
                if let Ok(bytes) = std::fs::read(dir.join(name)) {
                    seen += 1;
                    assert_absent(&format!("{name} ({when})"), &bytes, &needles);
                }
            }
            assert!(seen >= 1, "the database file was read");
        };
        files("as written");
        // A checkpoint moves the WAL's pages into the database file.
        sqlx::query("PRAGMA wal_checkpoint(FULL)")
            .execute(&app.state.store.db.pool)
            .await
            .unwrap();
        files("after a checkpoint");
    }
}

/// The modes the data directory and its files must have.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
fn assert_private(dir: &std::path::Path) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for name in [
        "cloud.db",
        "cloud.db-wal",
        "cloud.db-shm",
        "cloud-signing.key",
    ] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    let outbox = dir.join("outbox");
    assert_eq!(mode(&outbox), 0o700, "outbox");
    let mut mails = 0;
    for entry in std::fs::read_dir(&outbox).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        mails += 1;
    }
    assert!(mails >= 1, "a mail was written to the outbox");
}

/// A cloud started the way `rekey-cloud` starts (flags, outbox mail) makes its data directory,
/// database files, outbox and mails private, and tightens ones that were left open.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_files_and_directories_are_private() {
    use std::os::unix::fs::PermissionsExt;

    use clap::Parser;

    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("nested").join("data");
    let args = rekey_cloud::config::Args::try_parse_from([
        "rekey-cloud",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        dir.to_str().unwrap(),
        "--master-key",
        "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
        "--dev",
    ])
    .unwrap();
    let config = args.into_config().expect("a valid configuration");
    let app = crate::support::spawn_app_from(config.clone(), SmtpServer::start().await).await;
    let outbox_has_mail = |dir: &std::path::Path| {
        std::fs::read_dir(dir.join("outbox"))
            .map(|d| d.count() >= 1)
            .unwrap_or(false)
    };
    let (status, _) = app
        .api(
            "POST",
            "/signup/code",
            None,
            json!({"email": "modes@example.com", "region": "jp"}),
        )
        .await;
    assert_eq!(status, 202);
    eventually(20, "the mail is in the outbox", || async {
        outbox_has_mail(&dir)
    })
    .await;
    assert_private(&dir);

    // Left open by an older version or an operator: tightened at the next start.
    let app = app.stop().await;
    drop(app);
    for (path, m) in [
        (dir.clone(), 0o755),
        (dir.join("outbox"), 0o755),
        (dir.join("cloud.db"), 0o644),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
    }
    for entry in std::fs::read_dir(dir.join("outbox")).unwrap() {
        std::fs::set_permissions(
            entry.unwrap().path(),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    let app = crate::support::spawn_app_from(config, SmtpServer::start().await).await;
    let (status, _) = app
        .api(
            "POST",
            "/signup/code",
            None,
            json!({"email": "modes2@example.com", "region": "jp"}),
        )
        .await;
    assert_eq!(status, 202);
    all_mail_delivered(&app).await;
    assert_private(&dir);
    let _ = app.stop().await;
}

/// What an earlier version left in its mail queue, in plain text: an undelivered message, a
/// delivered one whose subject still holds its code (and whose earlier copy lingers in the
/// page's free space), and a delivered temporary password whose body it blanked.
const LEFT_PENDING: &str = "Your code: 246813";
const LEFT_DELIVERED: &str = "Your code: 975312";
const LEFT_BLANKED: &str = "ABCD-EFGH-JKMN-PQRS";

/// A database as migrations 0001 and 0002 (before mail was sealed) left it, with plain mail.
async fn database_of_an_earlier_version(url: &str, dialect: &str) {
    sqlx::any::install_default_drivers();
    let old = tempfile::tempdir().unwrap();
    for name in ["0001_init.sql", "0002_issued_codes.sql"] {
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dialect)
            .join(name);
        std::fs::copy(from, old.path().join(name)).unwrap();
    }
    let url = if dialect == "sqlite" {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    if dialect == "sqlite" {
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    for (subject, body, sent_at) in [
        (LEFT_PENDING, "Enter 246813.", None),
        (LEFT_DELIVERED, "", Some(1_794_999_000_i64)),
        (
            "Temporary password for Shop",
            LEFT_BLANKED,
            Some(1_794_999_000),
        ),
    ] {
        sqlx::query(
            "INSERT INTO mail_queue (to_addr, subject, body, created_at, next_attempt_at, sent_at) VALUES ('old@example.com', $1, $2, 1794999000, 0, $3)",
        )
        .bind(subject)
        .bind(body)
        .bind(sent_at)
        .execute(&pool)
        .await
        .unwrap();
    }
    // The earlier version recorded a failed attempt (which moves the row within its page, and
    // leaves the old copy's bytes behind as free space), then blanked the delivered body, all
    // without secure_delete.
    sqlx::query("UPDATE mail_queue SET last_error = $1 WHERE sent_at IS NOT NULL")
        .bind("SMTP delivery failed: connection refused; ".repeat(8))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE mail_queue SET body = '', last_error = NULL WHERE sent_at IS NOT NULL")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

async fn queued_plain_mail_is_sealed_at_upgrade(backend: crate::support::Backend) {
    let data_dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let (url, dialect) = match backend {
        crate::support::Backend::Sqlite => (
            format!("sqlite://{}", data_dir.path().join("cloud.db").display()),
            "sqlite",
        ),
        crate::support::Backend::Postgres => {
            let Some(admin) = crate::support::postgres_admin_url() else {
                return;
            };
            (crate::support::fresh_postgres(&admin).await, "postgres")
        }
    };
    database_of_an_earlier_version(&url, dialect).await;
    if dialect == "sqlite" {
        let bytes = std::fs::read(data_dir.path().join("cloud.db")).unwrap();
        assert!(
            occurs(&bytes, "975312"),
            "the earlier version left a delivered code in the file"
        );
    }
    let smtp = SmtpServer::start().await;
    let config =
        rekey_cloud::config::Config::for_local(data_dir.path(), Some(url), Some(smtp.url()), 7);
    let app = crate::support::spawn_app_from(config, smtp).await;
    // The undelivered message still goes out, as it was.
    let mail = app.smtp.nth_for("old@example.com", 1).await;
    assert_eq!(mail.subject, LEFT_PENDING);
    assert_eq!(mail.body.trim(), "Enter 246813.");
    all_mail_delivered(&app).await;
    assert_eq!(
        app.smtp.count_for("old@example.com"),
        1,
        "delivered ones are not sent again"
    );
    let left = sqlx::query("SELECT COUNT(*) AS n FROM housekeeping")
        .fetch_one(&app.state.store.db.pool)
        .await
        .unwrap()
        .get::<i64, _>("n");
    assert_eq!(left, 0, "the upgrade task is done");

    let needles = [
        six_digits("code left queued", "246813".into()),
        six_digits("code left delivered", "975312".into()),
        temporary_password("temporary password left blanked", LEFT_BLANKED),
    ];
    for (place, value) in every_stored_value(&app).await {
        assert_absent(&place, &value, &needles);
    }
    if dialect == "sqlite" {
        for name in ["cloud.db", "cloud.db-wal", "cloud.db-shm"] {
            if let Ok(bytes) = std::fs::read(data_dir.path().join(name)) {
                assert_absent(name, &bytes, &needles);
            }
        }
    }
    let _ = app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_plain_mail_is_sealed_at_upgrade_on_sqlite() {
    queued_plain_mail_is_sealed_at_upgrade(crate::support::Backend::Sqlite).await;
}

rekey_testkit::skip_unless_postgres! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_plain_mail_is_sealed_at_upgrade_on_postgres() {
    queued_plain_mail_is_sealed_at_upgrade(crate::support::Backend::Postgres).await;
}
}
