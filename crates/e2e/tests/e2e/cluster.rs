//! Issue 9, scale-out: three cloud nodes on one PostgreSQL database behind HAProxy. Recorders
//! spread across the nodes; a binding made through one node reaches a recorder on another; one
//! node is killed with SIGKILL, its recorders come back through the balancer on the others, the
//! flows go on working, and every mail queued went out exactly once.

use std::collections::BTreeMap;

use crate::browser::Browser;
use crate::cli::Cli;
use crate::harness::{Recorder, System, eventually};
use crate::recovery::{
    NEW_PASSWORD, date, emailed_password, enter, forgot, owner_cli, retrieve_on_portal,
};
use crate::steps::{
    ADMIN_PASSWORD, CLOUD_PASSWORD, activate_and_enable_cloud, admin_password_works, pc_signup,
    portal_add, portal_login, registration, wait_cloud_status, wait_listed_online, wait_registered,
};

const OWNER: &str = "owner@example.jp";

/// The node (its index) each recorder's connection is on, from the database.
async fn placement(sys: &System, serials: &[&str]) -> Vec<Option<usize>> {
    let ids = sys.node_ids();
    let db = sqlx::PgPool::connect(sys.database_url.as_deref().expect("PostgreSQL"))
        .await
        .expect("connect to the test database");
    let mut out = Vec::new();
    for serial in serials {
        let node: Option<String> =
            sqlx::query_scalar("SELECT node_id FROM devices WHERE serial = $1 AND connected = 1")
                .bind(serial)
                .fetch_optional(&db)
                .await
                .expect("read presence")
                .flatten();
        out.push(node.and_then(|n| ids.iter().position(|id| *id == n)));
    }
    db.close().await;
    out
}

/// A portal browser that the balancer sends to node `i`, logged in as the owner.
async fn portal_on(sys: &System, i: usize) -> Browser {
    let b = Browser::with_header(&sys.cloud_url, "x-rekey-node", sys.node_name(i));
    let p = portal_login(&b, "owner", CLOUD_PASSWORD).await;
    assert_eq!(p.status, 303, "logged in through node {i}: {}", p.body);
    b
}

/// Waits until the mail queue holds nothing undelivered, then checks that what the SMTP
/// server received is exactly what the queue holds: no mail lost, none sent twice.
async fn every_mail_went_out_once(sys: &System) {
    let db = sqlx::PgPool::connect(sys.database_url.as_deref().expect("PostgreSQL"))
        .await
        .expect("connect to the test database");
    eventually("the mail queue has nothing left to send", || async {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_queue WHERE sent_at IS NULL")
                .fetch_one(&db)
                .await
                .expect("count pending mail");
        pending == 0
    })
    .await;
    let mut queued: BTreeMap<String, usize> = BTreeMap::new();
    for to in sqlx::query_scalar::<_, String>("SELECT to_addr FROM mail_queue")
        .fetch_all(&db)
        .await
        .expect("read the queue")
    {
        *queued.entry(to.to_lowercase()).or_default() += 1;
    }
    db.close().await;
    let mails = sys.smtp.mails();
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for m in &mails {
        *received.entry(m.to.to_lowercase()).or_default() += 1;
    }
    assert_eq!(received, queued, "received per recipient = queued");
    for (i, a) in mails.iter().enumerate() {
        for b in &mails[i + 1..] {
            assert!(
                !(a.to == b.to && a.subject == b.subject && a.body == b.body),
                "a mail arrived twice: {} / {}",
                a.to,
                a.subject
            );
        }
    }
}

/// Forgot password? on `rec`, `rekey recover` with a photo of its recovery QR code, the
/// temporary password from `admin_email`'s mail, a new password.
async fn recover_with_the_phone(sys: &System, phone: &Cli, rec: &Recorder, admin_email: &str) {
    let anon = rec.browser();
    let (_, png, _) = forgot(&anon, None).await;
    let photo = sys.path(&format!("recovery-{}.png", rec.serial));
    std::fs::write(&photo, &png).expect("save the QR code");
    let before = sys.smtp.count_for(admin_email);
    phone
        .run(
            &["recover", "--qr", photo.to_str().expect("path"), "--yes"],
            None,
        )
        .await
        .ok("rekey recover --qr");
    let code = emailed_password(sys, admin_email, before).await;
    let done = enter(&anon, &code).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert!(admin_password_works(rec, NEW_PASSWORD).await);
    assert!(!admin_password_works(rec, ADMIN_PASSWORD).await);
}

/// Preparation and both recovery paths through the balancer, with pushes crossing nodes, then a
/// node killed with SIGKILL.
pub async fn a_node_killed_mid_way(mut sys: System) {
    assert_eq!(sys.node_count(), 3);
    let serials = ["NVRE2E0301", "NVRE2E0302", "NVRE2E0303"];

    // Three recorders connect through the balancer, which spreads them across the nodes.
    let mut recs: Vec<Recorder> = Vec::new();
    let mut admins: Vec<Browser> = Vec::new();
    for (i, serial) in serials.iter().enumerate() {
        let rec = sys.recorder(serial).await;
        admins.push(activate_and_enable_cloud(&rec, &format!("admin{i}@example.jp")).await);
        recs.push(rec);
    }
    eventually("every recorder's node is known", || async {
        placement(&sys, &serials).await.iter().all(Option::is_some)
    })
    .await;
    let at: Vec<usize> = placement(&sys, &serials)
        .await
        .into_iter()
        .flatten()
        .collect();
    let mut used = at.clone();
    used.sort_unstable();
    used.dedup();
    assert!(
        used.len() >= 2,
        "the recorders are on several nodes: {at:?}"
    );

    // The owner signs up through the balancer (round robin: the pages of one sign-up come from
    // several nodes), then adds each recorder through a node other than the recorder's.
    pc_signup(&sys, &sys.portal(), "owner", OWNER).await;
    for (i, serial) in serials.iter().enumerate() {
        let through = (at[i] + 1) % sys.node_count();
        let portal = portal_on(&sys, through).await;
        let (code, _, _) = registration(&admins[i]).await;
        let p = portal_add(&portal, &code, serial).await;
        assert!(
            p.has_notice("cloud-device-added") && p.shows(serial.as_ref()),
            "{}",
            p.body
        );
        // The recorder learns of it on its connection to the other node: the push crossed.
        wait_registered(&admins[i]).await;
        sys.wait_key_confirmed(serial, 2).await;
        wait_listed_online(&portal, serial).await;
    }
    assert_eq!(
        placement(&sys, &serials).await,
        at.iter().copied().map(Some).collect::<Vec<_>>(),
        "the recorders kept their connections: the bindings reached them as pushes"
    );

    // The phone path for the first recorder, through the balancer: `rekey recover` with a
    // photo of the recovery QR code.
    let phone = owner_cli(&sys, "phone", "owner").await;
    recover_with_the_phone(&sys, &phone, &recs[0], "admin0@example.jp").await;

    // SIGKILL the node the second recorder is on.
    let victim = at[1];
    sys.kill_node(victim).await;
    let orphans: Vec<usize> = (0..serials.len()).filter(|&i| at[i] == victim).collect();
    eventually("the balancer sees the killed node down", || async {
        sys.balancer_view()
            .await
            .iter()
            .any(|(name, up)| name == sys.node_name(victim) && !up)
    })
    .await;
    // Its recorders come back, through the balancer, on the surviving nodes.
    for &i in &orphans {
        wait_cloud_status(&admins[i], "online").await;
    }
    eventually(
        "the killed node's recorders are back on the others",
        || async {
            let now = placement(&sys, &serials).await;
            now.iter().all(|n| n.is_some_and(|n| n != victim))
        },
    )
    .await;
    let portal = sys.portal();
    portal_login(&portal, "owner", CLOUD_PASSWORD).await;
    for serial in serials {
        wait_listed_online(&portal, serial).await;
    }

    // After the kill: the PC path for the killed node's recorder (the portal gives one
    // verification code a minute per account: this is the only one), the phone path for another.
    let code = retrieve_on_portal(&sys, &portal, serials[1], OWNER, &date(0), &date(1)).await;
    let done = enter(&recs[1].browser(), &code).await;
    assert_eq!(done.path(), "/login", "{}", done.body);
    assert!(admin_password_works(&recs[1], NEW_PASSWORD).await);
    assert!(!admin_password_works(&recs[1], ADMIN_PASSWORD).await);
    recover_with_the_phone(&sys, &phone, &recs[2], "admin2@example.jp").await;

    every_mail_went_out_once(&sys).await;
}
