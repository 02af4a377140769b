//! The built binary: help, an unreachable cloud, and its request/response handling against a
//! scripted in-test HTTP peer (not the cloud: the peer answers only what each test tells it).

use serde_json::json;

use crate::support::{FakeCloud, Reply, log_in, qr_image, recovery_url, registration_url, rekey};

const TOKEN: &str = "tok-3f9a-very-secret";

fn device(serial: &str, name: &str) -> serde_json::Value {
    json!({
        "serial": serial, "name": name, "online": true,
        "last_seen": "2026-11-02T10:15:00Z", "added_at": "2026-10-01T00:00:00Z"
    })
}

fn assert_no_token(run: &crate::support::Run) {
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "{run:?}"
    );
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let run = rekey(dir.path(), &["--help"], "");
    assert_eq!(run.code, 0, "{run:?}");
    for command in [
        "signup", "login", "logout", "account", "devices", "recover", "retrieve", "transfer",
        "accept",
    ] {
        assert!(run.stdout.contains(command), "{command}: {}", run.stdout);
    }
    let run = rekey(dir.path(), &["devices", "add", "--help"], "");
    assert!(run.stdout.contains("--qr <IMAGE>") && run.stdout.contains("--code <CODE>"));
}

#[test]
fn an_unreachable_cloud_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A port that was just free: nothing listens there.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cloud = format!("http://{addr}");
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &cloud,
            "login",
            "--login",
            "taro",
            "--password-stdin",
        ],
        "pw\n",
    );
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("cannot reach the cloud at {cloud}")),
        "{}",
        run.stderr
    );
    let run = rekey(
        dir.path(),
        &[
            "--json",
            "--cloud",
            &cloud,
            "signup",
            "--region",
            "jp",
            "--email",
            "a@b.jp",
            "--send-code-only",
        ],
        "",
    );
    assert_eq!(run.code, 4);
    assert_eq!(run.json()["error"], "cli-unreachable");
}

#[test]
fn login_stores_the_session_privately_and_never_prints_the_token() {
    let cloud = FakeCloud::start();
    cloud.on(
        "POST",
        "/login",
        Reply::json(200, json!({"token": TOKEN, "username": "taro"})),
    );
    let dir = tempfile::tempdir().unwrap();
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &cloud.url(),
            "--lang",
            "ja",
            "login",
            "--login",
            "taro@example.jp",
            "--password-stdin",
        ],
        "  pass word \n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("as taro"), "{}", run.stdout);
    assert_no_token(&run);
    let seen = cloud.seen_at("POST", "/login");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].body,
        json!({"login": "taro@example.jp", "password": "  pass word "})
    );
    assert_eq!(seen[0].accept_language.as_deref(), Some("ja"));
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(seen[0].authorization, None);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("session.json")).unwrap()).unwrap();
    assert_eq!(stored["token"], TOKEN);
    assert_eq!(stored["cloud"], cloud.url());
    assert!(
        !std::fs::read_to_string(dir.path().join("session.json"))
            .unwrap()
            .contains("pass word")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("session.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Later commands use the stored cloud and send the token.
    cloud.on(
        "GET",
        "/devices",
        Reply::json(200, json!({"devices": [device("RK12AB34", "Shop")]})),
    );
    let run = rekey(dir.path(), &["devices", "list"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Shop  RK12AB34  online"),
        "{}",
        run.stdout
    );
    let seen = cloud.seen_at("GET", "/devices");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(seen[0].accept_language.as_deref(), Some("en"));
    assert_no_token(&run);

    let run = rekey(dir.path(), &["devices", "--json"], "");
    assert_eq!(run.json()["devices"][0]["name"], "Shop");
}

#[test]
fn a_refused_session_says_to_log_in() {
    let cloud = FakeCloud::start();
    cloud.on(
        "GET",
        "/account",
        Reply::json(
            401,
            json!({"error": "session-expired", "message": "セッションの有効期限が切れました。"}),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let run = rekey(dir.path(), &["account"], "");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("セッションの有効期限が切れました。"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("rekey login"), "{}", run.stderr);
    let run = rekey(dir.path(), &["account", "--json"], "");
    assert_eq!(run.code, 3);
    assert_eq!(run.json()["error"], "session-expired");

    // Without any session, nothing is sent.
    let empty = tempfile::tempdir().unwrap();
    let run = rekey(empty.path(), &["--cloud", &cloud.url(), "devices"], "");
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("not logged in"), "{}", run.stderr);
    assert!(cloud.seen_at("GET", "/devices").is_empty());
}

#[test]
fn a_401_on_login_is_just_the_servers_message() {
    let cloud = FakeCloud::start();
    cloud.on(
        "POST",
        "/login",
        Reply::json(
            401,
            json!({"error": "login-failed", "message": "Wrong username or password."}),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &cloud.url(),
            "login",
            "--login",
            "x",
            "--password-stdin",
        ],
        "p\n",
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("Wrong username or password."));
    assert!(!run.stderr.contains("rekey login"), "{}", run.stderr);
}

#[test]
fn server_errors_show_their_message_and_wait() {
    let cloud = FakeCloud::start();
    cloud.on(
        "GET",
        "/devices",
        Reply::json(
            429,
            json!({"error": "rate-limited", "message": "Too many requests.", "retry_after": 90}),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let run = rekey(dir.path(), &["devices"], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("Too many requests. (try again in 90 seconds)"),
        "{}",
        run.stderr
    );
    let run = rekey(dir.path(), &["--json", "devices"], "");
    assert_eq!(
        run.json(),
        json!({"error": "rate-limited", "message": "Too many requests. (try again in 90 seconds)"})
    );

    cloud.on(
        "GET",
        "/devices",
        Reply::text(502, "<html>Bad Gateway</html>"),
    );
    let run = rekey(dir.path(), &["devices"], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("answered HTTP 502"), "{}", run.stderr);

    cloud.on(
        "GET",
        "/devices",
        Reply::json(200, json!({"unexpected": true})),
    );
    let run = rekey(dir.path(), &["devices"], "");
    assert!(run.stderr.contains("does not understand"), "{}", run.stderr);
}

#[test]
fn the_token_goes_only_to_the_cloud_that_issued_it() {
    let issuer = FakeCloud::start();
    let other = FakeCloud::start();
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &issuer.url(), TOKEN);
    let run = rekey(dir.path(), &["--cloud", &other.url(), "devices"], "");
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("you are logged in to"),
        "{}",
        run.stderr
    );
    assert!(other.seen().is_empty() && issuer.seen().is_empty());

    // Recovery works without a session; the other cloud does not get the token.
    other.on(
        "POST",
        "/recover/preview",
        Reply::json(
            200,
            json!({
        "serial": "RK12AB34", "device_name": "Shop", "email_masked": "o•••@example.jp",
        "expires_at": "2030-01-01T00:00:00Z"}),
        ),
    );
    other.on(
        "POST",
        "/recover/send",
        Reply::json(
            200,
            json!({
        "email_masked": "o•••@example.jp", "valid_until": "2030-01-01T00:30:00Z"}),
        ),
    );
    let url = recovery_url(&other.url(), 1_900_000_000);
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &other.url(),
            "recover",
            "--qr-url",
            &url,
            "--yes",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(other.seen().iter().all(|s| s.authorization.is_none()));
}

#[test]
fn signup_runs_without_a_terminal_in_two_steps() {
    let cloud = FakeCloud::start();
    cloud
        .on("GET", "/regions", Reply::json(200, json!({"regions": [{"code": "jp", "name": "Japan"}, {"code": "us", "name": "United States"}]})))
        .on("POST", "/signup/code", Reply::json(202, json!({"expires_in_secs": 600})))
        .on("POST", "/signup/verify", Reply::json(200, json!({})))
        .on("GET", "/agreement", Reply::json(200, json!({"version": "2026-11", "url": format!("{}/agreement", cloud.url())})))
        .on("POST", "/signup", Reply::json(201, json!({"token": TOKEN, "username": "user-7f3k"})));
    let dir = tempfile::tempdir().unwrap();
    let c = cloud.url();

    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "signup",
            "--region",
            "JP",
            "--email",
            "Taro@Example.JP",
            "--send-code-only",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("10 minutes"), "{}", run.stdout);
    assert_eq!(
        cloud.seen_at("POST", "/signup/code")[0].body,
        json!({"email": "Taro@example.jp", "region": "jp"})
    );

    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "signup",
            "--email",
            "Taro@example.jp",
            "--code",
            " 123 456 ",
            "--password-stdin",
            "--accept-agreement",
            "--json",
        ],
        "correct horse battery\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["username"], "user-7f3k");
    assert_no_token(&run);
    assert_eq!(
        cloud.seen_at("POST", "/signup/verify")[0].body,
        json!({"email": "Taro@example.jp", "code": "123456"})
    );
    assert_eq!(
        cloud.seen_at("POST", "/signup")[0].body,
        json!({"email": "Taro@example.jp", "code": "123456", "password": "correct horse battery",
               "region": "jp", "agreement_version": "2026-11"})
    );
    assert!(dir.path().join("session.json").exists());
    assert!(!dir.path().join("pending-signup.json").exists());
}

#[test]
fn missing_values_fail_fast_without_a_terminal() {
    let cloud = FakeCloud::start();
    cloud.on(
        "GET",
        "/regions",
        Reply::json(200, json!({"regions": [{"code": "jp", "name": "Japan"}]})),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = cloud.url();
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "signup",
            "--region",
            "jp",
            "--send-code-only",
        ],
        "",
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pass --email"), "{}", run.stderr);
    let run = rekey(
        dir.path(),
        &[
            "--cloud", &c, "signup", "--region", "mars", "--email", "a@b.jp",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("unknown region \"mars\"; choose one of: jp (Japan)"),
        "{}",
        run.stderr
    );
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "signup",
            "--email",
            "a@b.jp",
            "--code",
            "1",
            "--password-stdin",
        ],
        "x\n",
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pass --region"), "{}", run.stderr);
    let run = rekey(dir.path(), &["--json", "--cloud", &c, "login"], "");
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["error"], "cli-usage");
    assert!(run.stderr.contains("pass --login"), "{}", run.stderr);
    let run = rekey(dir.path(), &["--cloud", &c, "login", "--login", "taro"], "");
    assert!(
        run.stderr.contains("pass --password-stdin"),
        "{}",
        run.stderr
    );
    let run = rekey(
        dir.path(),
        &[
            "--cloud",
            &c,
            "login",
            "--login",
            "taro",
            "--password-stdin",
        ],
        "",
    );
    assert!(
        run.stderr.contains("no password on stdin"),
        "{}",
        run.stderr
    );
    assert!(cloud.seen_at("POST", "/login").is_empty());

    log_in(dir.path(), &c, TOKEN);
    cloud.on(
        "GET",
        "/devices",
        Reply::json(200, json!({"devices": [device("RK12AB34", "Shop")]})),
    );
    let run = rekey(dir.path(), &["devices", "remove", "Shop"], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pass --yes"), "{}", run.stderr);
    assert!(cloud.seen_at("DELETE", "/devices/RK12AB34").is_empty());
}

#[test]
fn a_mistyped_register_code_never_reaches_the_cloud() {
    let cloud = FakeCloud::start();
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let (_, code) = registration_url();
    let mut chars: Vec<char> = code.compact().chars().collect();
    chars[0] = if chars[0] == '7' { '8' } else { '7' };
    let wrong: String = chars.iter().collect();
    let run = rekey(
        dir.path(),
        &["devices", "add", "--code", &wrong, "--name", "Shop"],
        "",
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("a character is wrong or two are swapped"),
        "{}",
        run.stderr
    );
    assert!(cloud.seen().is_empty());
}

#[test]
fn devices_are_added_by_code_or_qr_photo_and_managed_by_name() {
    let cloud = FakeCloud::start();
    cloud
        .on(
            "POST",
            "/devices",
            Reply::json(201, device("RK12AB34", "Shop")),
        )
        .on(
            "GET",
            "/devices",
            Reply::json(
                200,
                json!({"devices": [device("RK12AB34", "Shop"), device("RK55CD66", "Home")]}),
            ),
        )
        .on(
            "POST",
            "/devices/RK55CD66/name",
            Reply::json(200, device("RK55CD66", "Cottage")),
        )
        .on("DELETE", "/devices/RK12AB34", Reply::empty(204));
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let (url, code) = registration_url();

    let grouped = code.to_string().to_lowercase();
    let run = rekey(
        dir.path(),
        &["devices", "add", "--code", &grouped, "--name", " Shop "],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("It may take a while until it connects"),
        "{}",
        run.stdout
    );
    assert_eq!(
        cloud.seen_at("POST", "/devices")[0].body,
        json!({"register_code": code.compact(), "name": "Shop"})
    );

    let photo = dir.path().join("qr.png");
    qr_image(&url, 4).save(&photo).unwrap();
    let run = rekey(
        dir.path(),
        &[
            "devices",
            "add",
            "--qr",
            photo.to_str().unwrap(),
            "--name",
            "Shop",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("names the cloud at https://cloud.example.com"),
        "{}",
        run.stderr
    );
    assert_eq!(
        cloud.seen_at("POST", "/devices")[1].body["register_code"],
        code.compact()
    );

    // The recovery QR is not for adding.
    let rec = dir.path().join("rec.png");
    qr_image(&recovery_url("https://cloud.example.com", 1), 4)
        .save(&rec)
        .unwrap();
    let run = rekey(
        dir.path(),
        &[
            "devices",
            "add",
            "--qr",
            rec.to_str().unwrap(),
            "--name",
            "X",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("rekey recover"), "{}", run.stderr);

    let run = rekey(dir.path(), &["devices", "rename", "home", "Cottage"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/devices/RK55CD66/name")[0].body,
        json!({"name": "Cottage"})
    );

    let run = rekey(
        dir.path(),
        &["devices", "remove", "rk12ab34", "--yes", "--json"],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["removed"], "RK12AB34");
    assert_eq!(cloud.seen_at("DELETE", "/devices/RK12AB34").len(), 1);

    let run = rekey(dir.path(), &["devices", "remove", "Garage", "--yes"], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no device \"Garage\""),
        "{}",
        run.stderr
    );
}

#[test]
fn recover_sends_only_the_qr_text() {
    let cloud = FakeCloud::start();
    cloud
        .on(
            "POST",
            "/recover/preview",
            Reply::json(
                200,
                json!({
            "serial": "RK12AB34", "device_name": "Shop", "email_masked": "o•••@example.jp",
            "expires_at": "2030-01-01T00:00:00Z"}),
            ),
        )
        .on(
            "POST",
            "/recover/send",
            Reply::json(
                200,
                json!({
            "email_masked": "o•••@example.jp", "valid_until": "2030-01-01T00:30:00Z"}),
            ),
        );
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);
    let url = recovery_url(&cloud.url(), 1_900_000_000);
    let photo = dir.path().join("screen.jpg");
    qr_image(&url, 5)
        .save_with_format(&photo, image::ImageFormat::Jpeg)
        .unwrap();

    let run = rekey(
        dir.path(),
        &["recover", "--qr", photo.to_str().unwrap()],
        "",
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pass --yes"), "{}", run.stderr);
    assert!(cloud.seen_at("POST", "/recover/send").is_empty());

    let run = rekey(
        dir.path(),
        &["recover", "--qr", photo.to_str().unwrap(), "--yes"],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("e-mailed to o•••@example.jp"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2030-01-01 00:30 UTC"),
        "{}",
        run.stdout
    );
    let sent = cloud.seen_at("POST", "/recover/send");
    assert_eq!(sent[0].body, json!({"qr": url}));
    assert_eq!(
        sent[0].authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(
        cloud.seen_at("POST", "/recover/preview")[0].body,
        json!({"qr": url})
    );
}

#[test]
fn retrieve_shows_the_temporary_password_after_the_emailed_code() {
    let cloud = FakeCloud::start();
    cloud
        .on("GET", "/devices", Reply::json(200, json!({"devices": [device("RK12AB34", "Shop")]})))
        .on("POST", "/devices/RK12AB34/retrieve/code", Reply::json(202, json!({"email_masked": "t•••@example.jp", "expires_in_secs": 600})))
        .on("POST", "/devices/RK12AB34/retrieve", Reply::json(200, json!({"password": "abcd-efgh-jkmn-pqrs", "from": "2026-11-02", "to": "2026-11-03"})));
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);

    let run = rekey(
        dir.path(),
        &[
            "retrieve",
            "Shop",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
            "--send-code-only",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("t•••@example.jp"), "{}", run.stdout);
    assert_eq!(
        cloud.seen_at("POST", "/devices/RK12AB34/retrieve/code")[0].body,
        json!({"from": "2026-11-02", "to": "2026-11-03"})
    );

    let run = rekey(
        dir.path(),
        &[
            "retrieve",
            "RK12AB34",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
            "--code",
            "654321",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("    ABCD-EFGH-JKMN-PQRS\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2026-11-02 to 2026-11-03"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("change the recorder's admin password"),
        "{}",
        run.stdout
    );
    assert_eq!(
        cloud.seen_at("POST", "/devices/RK12AB34/retrieve")[0].body,
        json!({"from": "2026-11-02", "to": "2026-11-03", "code": "654321"})
    );

    let run = rekey(
        dir.path(),
        &[
            "retrieve",
            "Shop",
            "--from",
            "2026-11-03",
            "--to",
            "2026-11-02",
            "--code",
            "1",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--to is before --from"),
        "{}",
        run.stderr
    );
}

#[test]
fn account_changes_and_logout() {
    let cloud = FakeCloud::start();
    let account = |name: &str, email: &str| {
        json!({
        "username": name, "email": email, "region": "jp", "lang": "ja",
        "time_zone": "Asia/Tokyo", "created_at": "2026-10-01T09:00:00+09:00"})
    };
    cloud
        .on(
            "GET",
            "/account",
            Reply::json(200, account("taro", "t@example.jp")),
        )
        .on(
            "POST",
            "/account/username",
            Reply::json(200, account("shop-owner", "t@example.jp")),
        )
        .on(
            "POST",
            "/account/email/code",
            Reply::json(202, json!({"expires_in_secs": 600})),
        )
        .on(
            "POST",
            "/account/email",
            Reply::json(200, account("shop-owner", "new@example.jp")),
        )
        .on("POST", "/account/password", Reply::empty(204))
        .on("POST", "/logout", Reply::empty(204));
    let dir = tempfile::tempdir().unwrap();
    log_in(dir.path(), &cloud.url(), TOKEN);

    let run = rekey(dir.path(), &["account"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Username:   taro"), "{}", run.stdout);
    // In the account's time zone, named, as the portal shows it.
    assert!(
        run.stdout.contains("Time zone:  Asia/Tokyo"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Created:    2026-10-01 09:00 JST (Asia/Tokyo)"),
        "{}",
        run.stdout
    );

    let run = rekey(dir.path(), &["account", "set-username", "shop-owner"], "");
    assert_eq!(run.code, 0, "{run:?}");
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("session.json")).unwrap()).unwrap();
    assert_eq!(stored["username"], "shop-owner");

    let run = rekey(
        dir.path(),
        &[
            "account",
            "set-email",
            "new@example.jp",
            "--send-code-only",
            "--password-stdin",
        ],
        "old secret one\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/account/email/code")[0].body,
        json!({"email": "new@example.jp", "current": "old secret one"})
    );
    let run = rekey(
        dir.path(),
        &["account", "set-email", "new@example.jp", "--code", "111222"],
        "",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/account/email")[0].body,
        json!({"email": "new@example.jp", "code": "111222"})
    );

    let run = rekey(
        dir.path(),
        &["account", "set-password", "--password-stdin"],
        "old secret one\nnew secret phrase\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/account/password")[0].body,
        json!({"current": "old secret one", "new": "new secret phrase"})
    );
    let run = rekey(
        dir.path(),
        &["account", "set-password", "--password-stdin"],
        "old secret one\nshort\n",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("fewer than 8 characters"),
        "{}",
        run.stderr
    );

    let run = rekey(dir.path(), &["logout"], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        cloud.seen_at("POST", "/logout")[0].authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert!(!dir.path().join("session.json").exists());
    let run = rekey(dir.path(), &["logout"], "");
    assert!(run.stdout.contains("Not logged in."));
}
