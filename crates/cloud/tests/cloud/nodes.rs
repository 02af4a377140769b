//! Issue 9, what several cloud nodes share through one database: the mail queue (claims,
//! leases, dead letters), the housekeeping sweep, and SQLite's one-node rule.

use std::sync::Arc;

use rekey_cloud::config::Config;
use rekey_cloud::db::Db;
use rekey_cloud::mail::Mailer;
use rekey_cloud::store::Store;
use rekey_cloud::store::mail::{CLAIM_LEASE_SECS, Failed, MAX_ATTEMPTS, NewMail, retry_delay};
use rekey_cloud::store::nodes::Reaped;
use rekey_cloud::store::sweep::{Retention, Swept};
use rekey_testkit::SmtpServer;
use rekey_web::ManualClock;

use crate::support::{Backend, fresh_postgres, postgres_admin_url};

/// A database of its own with no cloud and no worker on it: what several nodes share.
pub struct SharedQueue {
    pub config: Config,
    pub store: Store,
    _dir: tempfile::TempDir,
}

impl SharedQueue {
    /// A fresh database on `backend` (`None`: PostgreSQL is not configured here).
    pub async fn new(backend: Backend, smtp_url: Option<String>) -> Option<Self> {
        let url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_postgres(&postgres_admin_url()?).await),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::for_local(dir.path(), url, smtp_url, 7);
        let store = Self::connect(&config).await;
        Some(Self {
            config,
            store,
            _dir: dir,
        })
    }

    /// Another node's connection pool to the same database; on SQLite, which serves a single
    /// node, the same one (its workers share it).
    pub async fn node(&self) -> Store {
        match self.store.db.backend {
            rekey_cloud::db::Backend::Sqlite => self.store.clone(),
            rekey_cloud::db::Backend::Postgres => Self::connect(&self.config).await,
        }
    }

    async fn connect(config: &Config) -> Store {
        let db = Db::connect(config.database_url.expose())
            .await
            .expect("connect");
        Store::new(db, &config.master_key())
    }

    /// Queues `n` messages to w0@example.com … at `now`.
    pub async fn queue(&self, n: usize, now: i64) {
        let mut tx = self.store.db.pool.begin().await.expect("begin");
        for i in 0..n {
            let mail = NewMail {
                to: format!("w{i}@example.com"),
                subject: format!("Message {i}"),
                body: format!("Code: {i:06}"),
            };
            self.store
                .queue_mail(&mut tx, &mail, now)
                .await
                .expect("queue");
        }
        tx.commit().await.expect("commit");
    }
}

const NOW: i64 = 1_795_000_000;

/// Four nodes claim from one queue at once: every message is handed out exactly once.
pub async fn parallel_claims_hand_out_each_message_once(backend: Backend) {
    let Some(queue) = SharedQueue::new(backend, None).await else {
        return;
    };
    queue.queue(200, NOW).await;
    let mut nodes = Vec::new();
    for _ in 0..4 {
        let store = queue.node().await;
        nodes.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let claimed = store.claim_mail(NOW, 3).await.expect("claim");
                if claimed.mails.is_empty() {
                    return ids;
                }
                for mail in claimed.mails {
                    assert!(
                        store
                            .mail_sent(mail.id, claimed.token, NOW, false)
                            .await
                            .expect("record"),
                        "the claim holds"
                    );
                    ids.push(mail.id);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for node in nodes {
        all.extend(node.await.expect("node"));
    }
    all.sort_unstable();
    let n = all.len();
    all.dedup();
    assert_eq!((n, all.len()), (200, 200), "each message once, none lost");
}

/// A claim holds until its lease runs out; then another worker takes the message, and the
/// first can no longer record it. A message that keeps failing is given up after the last
/// attempt, its content erased, and is never claimed again.
pub async fn claims_run_out_and_failing_mail_is_given_up(backend: Backend) {
    let Some(queue) = SharedQueue::new(backend, None).await else {
        return;
    };
    let store = &queue.store;
    queue.queue(1, NOW).await;
    let first = store.claim_mail(NOW, 10).await.expect("claim");
    assert_eq!(first.mails.len(), 1);
    let id = first.mails[0].id;
    assert!(
        store
            .claim_mail(NOW + 1, 10)
            .await
            .expect("claim")
            .mails
            .is_empty()
    );
    assert_eq!(
        store.next_mail_due().await.expect("due"),
        Some(NOW + CLAIM_LEASE_SECS)
    );
    let second = store
        .claim_mail(NOW + CLAIM_LEASE_SECS, 10)
        .await
        .expect("claim");
    assert_eq!(second.mails.iter().map(|m| m.id).collect::<Vec<_>>(), [id]);
    assert!(
        !store
            .mail_sent(id, first.token, NOW, false)
            .await
            .expect("record")
    );
    assert_eq!(
        store
            .mail_failed(id, first.token, 0, "late", NOW)
            .await
            .expect("record"),
        Failed::NotHeld
    );

    // The second worker's attempts fail, one after another, until the message is given up.
    let mut now = NOW + CLAIM_LEASE_SECS;
    let mut claim = second;
    for attempt in 0..MAX_ATTEMPTS {
        let mail = claim.mails.pop().expect("claimed");
        assert_eq!(mail.attempts, attempt);
        let outcome = store
            .mail_failed(mail.id, claim.token, mail.attempts, "refused", now)
            .await
            .expect("record");
        if attempt + 1 < MAX_ATTEMPTS {
            assert_eq!(outcome, Failed::RetryAt(now + retry_delay(attempt)));
            assert!(
                store
                    .claim_mail(now, 10)
                    .await
                    .expect("claim")
                    .mails
                    .is_empty()
            );
            now += retry_delay(attempt);
            claim = store.claim_mail(now, 10).await.expect("claim");
        } else {
            assert_eq!(outcome, Failed::Dead);
        }
    }
    assert_eq!(store.dead_mail_count().await.expect("count"), 1);
    assert_eq!(store.next_mail_due().await.expect("due"), None);
    assert!(
        store
            .claim_mail(now + 86_400, 10)
            .await
            .expect("claim")
            .mails
            .is_empty()
    );
    let kept = store.recent_mail(10).await.expect("recent");
    assert_eq!(
        (kept[0].subject.as_str(), kept[0].body.as_str()),
        ("", ""),
        "a dead letter's content is erased"
    );
}

/// Three mail workers (three nodes) on one queue and one SMTP server: every message arrives
/// once.
pub async fn three_workers_send_each_mail_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let Some(queue) = SharedQueue::new(backend, Some(smtp.url())).await else {
        return;
    };
    let clock = ManualClock::new(NOW);
    let from: lettre::message::Mailbox = queue.config.mail_from.parse().expect("from");
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    let mut wakes = Vec::new();
    for _ in 0..3 {
        let wake = Arc::new(tokio::sync::Notify::new());
        wakes.push(wake.clone());
        workers.push(tokio::spawn(rekey_cloud::mail::run_worker(
            queue.node().await,
            Mailer::from_config(&queue.config).expect("mailer"),
            from.clone(),
            Arc::new(clock.clone()),
            wake,
            stopping.clone(),
        )));
    }
    queue.queue(30, NOW).await;
    for wake in &wakes {
        wake.notify_one();
    }
    for i in 0..30 {
        smtp.nth_for(&format!("w{i}@example.com"), 1).await;
    }
    // Every delivery recorded, then every worker stopped: nothing is still being sent.
    let pool = &queue.store.db.pool;
    crate::support::eventually(10, "every delivery recorded", || async {
        let unsent: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_queue WHERE sent_at IS NULL")
                .fetch_one(pool)
                .await
                .expect("count");
        unsent == 0
    })
    .await;
    stop.send(true).expect("workers listen");
    for worker in workers {
        worker.await.expect("worker");
    }
    for i in 0..30 {
        assert_eq!(smtp.count_for(&format!("w{i}@example.com")), 1, "w{i}");
    }
}

/// SQLite serves one node: a second cloud on the same file does not start (and says which
/// file); once the first stopped, it does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_on_one_sqlite_file_is_refused() {
    let app = crate::support::spawn_app(Backend::Sqlite)
        .await
        .expect("SQLite is always available");
    let config = app.config.clone();
    let e = rekey_cloud::startup::Application::build(config.clone())
        .await
        .expect_err("a second node on the same SQLite file");
    let file = config.data_dir.join("cloud.db");
    assert!(
        format!("{e:#}").contains(&file.display().to_string()),
        "{e:#}"
    );
    let _stopped = app.stop().await;
    rekey_cloud::startup::Application::build(config)
        .await
        .expect("the file is free once the first node stopped");
}

rekey_testkit::skip_unless_postgres! {
/// A node that dies holding claims: once its lease ran out, another node releases its claims
/// along with its recorders and sends that mail at once, not after the claims' own lease; the
/// claims of a live node stay; the dead node's late outcome is not recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_nodes_mail_claims_are_released_with_its_lease() {
    let Some(queue) = SharedQueue::new(Backend::Postgres, None).await else {
        return;
    };
    let (alive, dead) = (&queue.store, queue.node().await);
    assert_ne!(alive.node_id(), dead.node_id());
    alive.renew_lease(NOW, NOW + 600).await.expect("lease");
    dead.renew_lease(NOW, NOW + 60).await.expect("lease");
    queue.queue(2, NOW).await;
    let held = dead.claim_mail(NOW, 1).await.expect("claim");
    let kept = alive.claim_mail(NOW, 1).await.expect("claim");
    assert_eq!((held.mails.len(), kept.mails.len()), (1, 1));

    assert_eq!(
        alive.reap_nodes(NOW + 30).await.expect("reap"),
        Reaped::default(),
        "nothing ran out yet"
    );
    let reaped = alive.reap_nodes(NOW + 61).await.expect("reap");
    assert_eq!(reaped.mail, 1);
    let again = alive.claim_mail(NOW + 61, 10).await.expect("claim");
    assert_eq!(
        again.mails.iter().map(|m| m.id).collect::<Vec<_>>(),
        [held.mails[0].id],
        "the dead node's message, and only it, is free again, {} s before its claim's lease ends",
        CLAIM_LEASE_SECS - 61
    );
    assert!(
        !dead
            .mail_sent(held.mails[0].id, held.token, NOW + 62, false)
            .await
            .expect("record"),
        "the dead node's late outcome is not recorded"
    );
    assert!(
        alive
            .mail_sent(held.mails[0].id, again.token, NOW + 62, false)
            .await
            .expect("record")
    );
}
}

/// A single node (SQLite) that starts again sends at once what its previous run had claimed
/// (no worker of that run is still sending), not when that claim's lease runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_single_node_releases_the_previous_runs_claims() {
    let queue = SharedQueue::new(Backend::Sqlite, None)
        .await
        .expect("SQLite is always available");
    queue.queue(1, NOW).await;
    let held = queue.store.claim_mail(NOW, 10).await.expect("claim");
    assert_eq!(held.mails.len(), 1);
    queue.store.db.close().await;
    // The new run's clock stands still inside the old claim's lease.
    let app = rekey_cloud::startup::Application::build_with_clock(
        queue.config.clone(),
        Arc::new(ManualClock::new(NOW + 1)),
    )
    .await
    .expect("the node starts again");
    let pool = &app.state().store.db.pool;
    crate::support::eventually(10, "the new run's worker sends the message", || async {
        let sent: Option<i64> = sqlx::query_scalar("SELECT sent_at FROM mail_queue WHERE id = $1")
            .bind(held.mails[0].id)
            .fetch_one(pool)
            .await
            .expect("the message");
        sent == Some(NOW + 1)
    })
    .await;
}

/// The sweep deletes what ran out past its retention — expired sessions, old e-mail codes,
/// finished attempt counters, delivered and dead mail — and keeps everything else; a second
/// sweep deletes nothing.
pub async fn the_sweep_deletes_only_what_ran_out(backend: Backend) {
    let Some(queue) = SharedQueue::new(backend, None).await else {
        return;
    };
    let pool = &queue.store.db.pool;
    let exec = |sql: &'static str, binds: Vec<i64>| async move {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b);
        }
        q.execute(pool).await.expect(sql);
    };
    exec(
        "INSERT INTO accounts (username, email, email_key, password_hash, region, lang, agreement_version, created_at)
         VALUES ('sweep', 'sweep@example.com', 'sweep@example.com', 'x', 'jp', 'en', '1', $1)",
        vec![NOW],
    )
    .await;
    let day = 86_400;
    for (token, expires) in [("expired", NOW - 1), ("live", NOW + 3600)] {
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, csrf, created_at, expires_at)
             SELECT $1, id, 'c', $2, $3 FROM accounts",
        )
        .bind(token)
        .bind(NOW - day)
        .bind(expires)
        .execute(pool)
        .await
        .expect("session");
    }
    for expires in [NOW - day - 1, NOW - 10, NOW + 600] {
        exec(
            "INSERT INTO email_codes (purpose, email_key, code_hash, created_at, expires_at)
             VALUES ('signup', 'sweep@example.com', 'h', $1, $2)",
            vec![expires - 600, expires],
        )
        .await;
    }
    for (key, start, locked) in [
        ("old", NOW - 3 * day, 0),
        ("old-locked", NOW - 3 * day, NOW + 100),
        ("recent", NOW - 100, 0),
    ] {
        sqlx::query(
            "INSERT INTO throttle (throttle_key, failures, window_start, locked_until) VALUES ($1, 1, $2, $3)",
        )
        .bind(key)
        .bind(start)
        .bind(locked)
        .execute(pool)
        .await
        .expect("throttle");
    }
    queue.queue(5, NOW - 40 * day).await;
    // w0 delivered 8 days ago, w1 delivered yesterday, w2 dead for 31 days, w3 dead for a day,
    // w4 still waiting.
    for (to, column, at) in [
        ("w0@example.com", "sent_at", NOW - 8 * day),
        ("w1@example.com", "sent_at", NOW - day),
        ("w2@example.com", "dead_at", NOW - 31 * day),
        ("w3@example.com", "dead_at", NOW - day),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE mail_queue SET {column} = $1, sealed = NULL WHERE to_addr = $2"
        )))
        .bind(at)
        .bind(to)
        .execute(pool)
        .await
        .expect("mail");
    }

    let swept = queue
        .store
        .sweep(NOW, &Retention::DEFAULT)
        .await
        .expect("sweep");
    assert_eq!(
        swept,
        Swept {
            sessions: 1,
            email_codes: 1,
            throttle: 1,
            mail: 2,
            retrieved: 0,
            accounts: 0,
            transfers: 0,
        }
    );
    assert_eq!(
        queue
            .store
            .sweep(NOW, &Retention::DEFAULT)
            .await
            .expect("sweep")
            .total(),
        0
    );
    let left = |sql: &'static str| async move {
        sqlx::query_scalar::<_, String>(sql)
            .fetch_all(pool)
            .await
            .expect(sql)
    };
    assert_eq!(left("SELECT token_hash FROM sessions").await, ["live"]);
    let mut keys = left("SELECT throttle_key FROM throttle").await;
    keys.sort();
    assert_eq!(keys, ["old-locked", "recent"]);
    let mut mail = left("SELECT to_addr FROM mail_queue").await;
    mail.sort();
    assert_eq!(mail, ["w1@example.com", "w3@example.com", "w4@example.com"]);
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_codes")
        .fetch_one(pool)
        .await
        .expect("codes");
    assert_eq!(codes, 2);
}

/// Two nodes, A and B, on one fresh PostgreSQL database (`None` outside CI without one). B's
/// heartbeat period is a minute: the tests' recorders send no heartbeat, and B must not find
/// them silent meanwhile.
async fn two_nodes() -> Option<(crate::support::TestApp, crate::support::TestApp)> {
    let a = crate::support::spawn_app(Backend::Postgres).await?;
    let mut config = a.config.clone();
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.metrics_listen = None;
    config.heartbeat_secs = 60;
    let b = crate::support::spawn_app_from(config, a.smtp.clone()).await;
    assert_ne!(a.state.store.node_id(), b.state.store.node_id());
    Some((a, b))
}

rekey_testkit::skip_unless_postgres! {
/// The atomic limits hold across nodes: a burst of wrong passwords spread over two nodes gets
/// no more checks than one node would give, and the lock holds on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_burst_across_two_nodes_gets_no_more_checks_than_the_limit() {
    use crate::hardening::{burst, count_errors};
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let password = "correct horse battery staple";
    a.signup_pc("hana", "hana@example.com", password).await;
    let wrong = serde_json::json!({"login": "hana", "password": "wrong horse battery staple"});
    let answers = burst(&[&a, &b], "/login", None, 48, wrong.clone(), wrong).await;
    let checked = count_errors(&answers, "cloud-login-failed");
    let locked = count_errors(&answers, "cloud-login-locked");
    assert!(checked <= 5, "{checked} passwords checked");
    assert_eq!(checked + locked, 48, "every answer is a failure or a lock");
    for node in [&a, &b] {
        let right = serde_json::json!({"login": "hana", "password": password});
        let (status, body) = node.api("POST", "/login", None, right).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (429, Some("cloud-login-locked")),
            "locked on every node"
        );
    }
}
}

rekey_testkit::skip_unless_postgres! {
/// Two nodes on one PostgreSQL database: a binding and a removal made through the first reach a
/// recorder connected to the second at once (NOTIFY), not only at its next reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_through_one_node_reaches_a_recorder_on_another() {
    use rekey_proto::gateway::{Binding, CloudMessage};
    let Some((a, b)) = two_nodes().await else {
        return;
    };

    a.signup_pc("nodes", "nodes@example.com", "correct horse battery staple")
        .await;
    let key = rekey_proto::DeviceSigningKey::from_seed([61; 32]);
    let mut rec = crate::device::connect(&b.base, "NVR0610", &key).await;
    a.add_device(&rec.register_code(), "Across").await;
    let bound = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        rec.process_until(|m| {
            matches!(
                m,
                CloudMessage::Binding {
                    binding: Binding::Bound
                }
            )
        }),
    )
    .await;
    assert!(
        bound.is_ok(),
        "the binding reached the recorder on the other node"
    );

    a.post("/devices/NVR0610/remove", "/devices/NVR0610/remove", &[])
        .await;
    let removed = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        rec.process_until(|m| {
            matches!(
                m,
                CloudMessage::Binding {
                    binding: Binding::Unbound { .. }
                }
            )
        }),
    )
    .await;
    assert!(removed.is_ok(), "the removal reached it too");
}
}

rekey_testkit::skip_unless_postgres! {
/// Presence is owned per node: a recorder connected to B is marked as on B; once B's lease has
/// run out as another node's clock reads it (B died, or lost the database), that node shows the
/// recorder offline; B, finding its lease gone, tells its recorders to reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_lease_ran_out_has_its_recorders_shown_offline() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let key = rekey_proto::DeviceSigningKey::from_seed([62; 32]);
    let rec = crate::device::connect(&b.base, "NVR0620", &key).await;
    let pool = &a.state.store.db.pool;
    let presence = || async {
        sqlx::query_as::<_, (i64, Option<String>)>(
            "SELECT connected, node_id FROM devices WHERE serial = 'NVR0620'",
        )
        .fetch_one(pool)
        .await
        .expect("the device")
    };
    let on_b = Some(b.state.store.node_id().to_string());
    crate::support::eventually(10, "the recorder is online on B", || async {
        presence().await == (1, on_b.clone())
    })
    .await;

    // A's clock passes B's lease (one heartbeat period of B's, 60 s).
    a.clock.advance(120);
    crate::support::eventually(10, "A shows B's recorder offline", || async {
        presence().await == (0, None)
    })
    .await;
    // B finds its lease gone at its next renewal (every 30 s of real time with this period),
    // which is not waited for here.
    drop(rec);
}
}
