//! Attacks on the cloud's limits, replayed: parallel bursts against login, the current password
//! and register codes; a look-alike address asking for a reset; code requests refused by the
//! cool-down.

use serde_json::{Value, json};

use rekey_cloud::error::Problem;
use rekey_web::Lang;

use crate::support::{TestApp, shows};

const PW: &str = "correct horse battery staple";
const WRONG: &str = "wrong horse battery staple";

/// `n` JSON API calls sent at once, spread over `nodes` in turn; the last one carries
/// `last_body`, the others `body`.
pub async fn burst(
    nodes: &[&TestApp],
    path: &str,
    token: Option<&str>,
    n: usize,
    body: Value,
    last_body: Value,
) -> Vec<(u16, Value)> {
    let mut bodies = vec![body; n.saturating_sub(1)];
    bodies.push(last_body);
    burst_of(nodes, path, token, bodies).await
}

/// JSON API calls sent at once, one for each of `bodies`, spread over `nodes` in turn; the
/// answers in the same order.
pub async fn burst_of(
    nodes: &[&TestApp],
    path: &str,
    token: Option<&str>,
    bodies: Vec<Value>,
) -> Vec<(u16, Value)> {
    let mut calls = Vec::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let app = nodes[i % nodes.len()];
        let http = app.http.clone();
        let url = app.url(&format!("/api/v1{path}"));
        let token = token.map(str::to_owned);
        calls.push(tokio::spawn(async move {
            let mut req = http.post(url).json(&body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.expect("API call");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut answers = Vec::new();
    for c in calls {
        answers.push(c.await.expect("call"));
    }
    answers
}

pub fn count_errors(answers: &[(u16, Value)], key: &str) -> usize {
    answers
        .iter()
        .filter(|(_, b)| b["error"].as_str() == Some(key))
        .count()
}

async fn api_login(app: &TestApp, login: &str, password: &str) -> (u16, Value) {
    let body = json!({"login": login, "password": password});
    app.api("POST", "/login", None, body).await
}

/// 50 parallel logins, the right password last: at most 5 passwords are checked, and the right
/// one does not log in while the account is locked.
pub async fn a_login_burst_gets_no_more_checks_than_the_limit(app: TestApp) {
    app.signup_pc("hana", "hana@example.com", PW).await;
    let wrong = json!({"login": "hana", "password": WRONG});
    let right = json!({"login": "hana", "password": PW});
    let answers = burst(&[&app], "/login", None, 49, wrong.clone(), wrong).await;
    let checked = count_errors(&answers, "cloud-login-failed");
    let locked = count_errors(&answers, "cloud-login-locked");
    assert!(checked <= 5, "{checked} passwords checked");
    assert_eq!(checked + locked, 49, "every answer is a failure or a lock");
    // The right password, last: refused without a check while the account is locked.
    let (status, body) = app.api("POST", "/login", None, right).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("cloud-login-locked"))
    );
    assert!(body["token"].is_null(), "no login");
    // The lock ends with the window; then the right password works.
    app.clock.advance(15 * 60 + 1);
    assert_eq!(api_login(&app, "hana", PW).await.0, 200);
}

/// The user name and the e-mail address of one account share one limit.
pub async fn the_name_and_the_address_share_one_login_limit(app: TestApp) {
    app.signup_pc("ichiro", "ichiro@example.com", PW).await;
    for login in [
        "ichiro",
        "ICHIRO@example.com",
        "ichiro",
        "ichiro@example.com",
    ] {
        assert_eq!(api_login(&app, login, WRONG).await.0, 401);
    }
    assert_eq!(api_login(&app, "Ichiro@Example.com", WRONG).await.0, 401);
    let (status, body) = api_login(&app, "ichiro", PW).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("cloud-login-locked"))
    );
}

/// With a stolen session, a burst of wrong current passwords (then the right one) gets at most
/// 5 checks; the lock covers every form that asks for the current password.
pub async fn a_stolen_session_cannot_guess_the_current_password(app: TestApp) {
    app.signup_pc("jiro", "jiro@example.com", PW).await;
    let token = api_login(&app, "jiro", PW).await.1["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let new = "a brand new passphrase 7";
    let wrong = json!({"current": WRONG, "new": new});
    let right = json!({"current": PW, "new": new});
    let path = "/account/password";
    let answers = burst(&[&app], path, Some(&token), 49, wrong.clone(), wrong).await;
    let checked = count_errors(&answers, "cloud-password-current-wrong");
    let locked = count_errors(&answers, "cloud-password-current-locked");
    assert!(checked <= 5, "{checked} current passwords checked");
    assert_eq!(checked + locked, 49, "{answers:?}");
    // The right one, last, is refused unchecked; the password did not change.
    let (status, body) = app.api("POST", path, Some(&token), right).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("cloud-password-current-locked"))
    );
    assert_eq!(api_login(&app, "jiro", PW).await.0, 200);
    // The e-mail change is locked as well.
    let body = json!({"email": "thief@example.com", "current": PW});
    let (status, body) = app
        .api("POST", "/account/email/code", Some(&token), body)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("cloud-password-current-locked"))
    );
    // So is the portal's form (the same account, another session).
    let portal = app.other_browser();
    let fields = [("login", "jiro"), ("password", PW)];
    assert_eq!(portal.post("/login", "/login", &fields).await.0, 303);
    let fields = [("current", PW), ("password", new), ("confirm", new)];
    let (_, _, page) = portal.post("/account", "/account/password", &fields).await;
    let locked = Problem::wait("cloud-password-current-locked", 15 * 60).message(Lang::En);
    assert_eq!(
        crate::support::error_keys(&page),
        ["cloud-password-current-locked"],
        "{page}"
    );
    assert!(shows(&page, &locked), "{page}");
}

/// A reset asked for a look-alike address (KELVIN SIGN for K) is mailed to the account's own
/// address, never to the look-alike; the look-alike cannot make a second account either.
pub async fn a_look_alike_address_receives_no_reset_code(app: TestApp) {
    app.signup_pc("kate", "kate@example.com", PW).await;
    let look_alike = "\u{212A}ate@example.com";
    let before = app.smtp.count_for("kate@example.com");
    let fresh = app.other_browser();
    let (status, _, body) = fresh
        .post("/forgot", "/forgot", &[("email", look_alike)])
        .await;
    assert_eq!(status, 200, "{body}");
    let mail = app.smtp.nth_for("kate@example.com", before + 1).await;
    assert_eq!(mail.to, "kate@example.com");
    assert_eq!(app.smtp.count_for(look_alike), 0);
    // Sign-up with the look-alike: the address is taken.
    let body = json!({"region": "jp", "email": look_alike});
    let (status, body) = app.api("POST", "/signup/code", None, body).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("cloud-email-taken")),
        "{body}"
    );
    // Fullwidth letters fold too.
    let body = json!({"region": "jp", "email": "ｋａｔｅ@example.com"});
    let (_, body) = app.api("POST", "/signup/code", None, body).await;
    assert_eq!(body["error"].as_str(), Some("cloud-email-taken"));
}

/// 15 wrong register codes at once: exactly the limit of 10 are looked up.
pub async fn the_register_code_limit_is_exact_under_a_burst(app: TestApp) {
    app.signup_pc("lena", "lena@example.com", PW).await;
    let token = api_login(&app, "lena", PW).await.1["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let unknown = rekey_proto::RegisterCode::from_random([9; 7]).compact();
    let body = json!({"register_code": unknown, "name": "x"});
    let answers = burst(&[&app], "/devices", Some(&token), 15, body.clone(), body).await;
    assert_eq!(count_errors(&answers, "cloud-register-code-unknown"), 10);
    assert_eq!(count_errors(&answers, "error-rate-limited"), 5);
}

/// Code requests refused by the 60 s cool-down send nothing and cost no slot of the hourly
/// per-address limit.
pub async fn cool_down_refusals_cost_no_code_request(app: TestApp) {
    let ask = |email: &'static str| {
        let body = json!({"region": "jp", "email": email});
        app.api("POST", "/signup/code", None, body)
    };
    assert_eq!(ask("mika@example.com").await.0, 202);
    for _ in 0..25 {
        let (status, body) = ask("mika@example.com").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (429, Some("cloud-code-cooldown"))
        );
    }
    // 25 refusals later, the address may still ask for codes.
    let (status, body) = ask("nana@example.com").await;
    assert_eq!(status, 202, "{body}");
}

/// A GET (a link or an image on another site) switches only the cookie; the account's mail
/// language changes by the header's form, which carries the CSRF token.
pub async fn the_language_changes_the_account_only_by_a_form_post(app: TestApp) {
    app.signup_pc("nobu", "nobu@example.com", PW).await;
    let lang_of = || async {
        let account = app
            .state
            .store
            .account_by_login("nobu")
            .await
            .unwrap()
            .unwrap();
        account.lang
    };
    assert_eq!(lang_of().await, Lang::En);
    let (status, _) = app.get("/lang/ja?next=/devices").await;
    assert_eq!(status, 303);
    assert_eq!(lang_of().await, Lang::En, "a GET changes no account");
    let (status, _, _) = app.post_raw("/lang/ja?next=/devices", &[]).await;
    assert_eq!(status, 403, "a POST without the form's token is refused");
    assert_eq!(lang_of().await, Lang::En);
    let (status, location, _) = app.post("/devices", "/lang/ja?next=/devices", &[]).await;
    assert_eq!((status, location.as_str()), (303, "/devices"));
    assert_eq!(lang_of().await, Lang::Ja);
}

/// A form sent from another site is refused even with a valid token (the browser's
/// `Sec-Fetch-Site` or `Origin` says where it comes from).
pub async fn forms_from_another_site_are_refused(app: TestApp) {
    app.signup_pc("osamu", "osamu@example.com", PW).await;
    let csrf = app.csrf("/account").await;
    let fields = [("csrf", csrf.as_str()), ("username", "osamu2")];
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let r = app
            .http
            .post(app.url("/account/username"))
            .header(name, value)
            .form(&fields)
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status().as_u16(), 403, "{name}: {value}");
    }
    let account = app.state.store.account_by_login("osamu").await.unwrap();
    assert!(account.is_some(), "the name did not change");
    let r = app
        .http
        .post(app.url("/account/username"))
        .header("sec-fetch-site", "same-origin")
        .form(&fields)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        app.state
            .store
            .account_by_login("osamu2")
            .await
            .unwrap()
            .is_some()
    );
}

/// Accounts made when addresses were only lower-cased get their keys folded at the next start,
/// so the folded form of their address finds them.
pub async fn earlier_email_keys_are_folded_at_the_next_start(app: TestApp) {
    app.signup_pc("kate2", "kate2@example.net", PW).await;
    // An address in fullwidth letters, as an earlier version stored it: lower case only.
    let address = "ＫＡＴＥ2@example.com";
    let pool = &app.state.store.db.pool;
    sqlx::query("UPDATE accounts SET email = $1, email_key = $2 WHERE username = 'kate2'")
        .bind(address)
        .bind(address.to_lowercase())
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO housekeeping (task) VALUES ('fold-email-keys')")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(api_login(&app, "kate2@example.com", PW).await.0, 401);
    let app = app.restart().await;
    assert_eq!(api_login(&app, "kate2@example.com", PW).await.0, 200);
    let left = sqlx::query("SELECT task FROM housekeeping")
        .fetch_all(&app.state.store.db.pool)
        .await
        .unwrap();
    assert!(left.is_empty(), "the task is done once");
}
