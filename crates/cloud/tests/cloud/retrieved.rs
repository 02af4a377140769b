//! Retrieve's result page (p.25) after post/redirect/get: reloading it shows the same temporary
//! password to its account, while the password is valid, and to nobody else.

use rekey_cloud::store::sweep::Retention;
use rekey_web::{Clock, Lang};

use crate::recovery::owner_with_recorder;
use crate::support::{TestApp, between, client, shows};

/// Asks for a date-window code for `serial` valid `from`–`to`, and answers with the e-mailed
/// verification code; returns the `303` answer's location.
async fn retrieve(app: &TestApp, email: &str, serial: &str, from: &str, to: &str) -> String {
    let form = format!("/devices/{serial}/retrieve");
    let before = app.smtp.count_for(email);
    app.post(
        &form,
        &format!("/devices/{serial}/retrieve/code"),
        &[("from", from), ("to", to)],
    )
    .await;
    let code = app.smtp.nth_for(email, before + 1).await.code();
    let (status, location, body) = app
        .post(&form, &form, &[("from", from), ("to", to), ("code", &code)])
        .await;
    assert_eq!(status, 303, "the result is shown by a redirect: {body}");
    assert!(
        location.starts_with(&format!("/devices/{serial}/retrieved/")),
        "{location}"
    );
    location
}

fn password_on(page: &str) -> Option<String> {
    between(page, r#"id="temporary-password" class="code-big">"#, "<")
}

pub async fn reloading_the_retrieve_result_shows_the_same_password_to_its_account_only(
    app: TestApp,
) {
    let _rec = owner_with_recorder(&app, "juro", "NVR0107", 107).await;
    let today = app.clock.now_utc().date();
    let to = today + time::Duration::days(1);
    let location = retrieve(
        &app,
        "juro@example.com",
        "NVR0107",
        &today.to_string(),
        &to.to_string(),
    )
    .await;
    let id = location.rsplit('/').next().unwrap();
    assert!(id.len() >= 40, "an unguessable id: {id}");

    // The page and its reload show the same password, never cached.
    let r = app.http.get(app.url(&location)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let first = password_on(&r.text().await.unwrap()).expect("the password is shown");
    let (status, page) = app.get(&location).await;
    assert_eq!(status, 200);
    assert_eq!(
        password_on(&page).as_deref(),
        Some(first.as_str()),
        "{page}"
    );
    assert!(page.contains(r#"id="valid-dates""#), "{page}");
    assert!(!first.is_empty());

    // Another account gets the portal's "not found", a visitor not logged in the login page.
    let other = app.other_browser();
    other
        .signup_pc("kuro", "kuro@example.com", "another horse battery staple")
        .await;
    let (status, page) = other.get(&location).await;
    assert_eq!(status, 404, "{page}");
    assert!(!page.contains(&first), "{page}");
    let (status, unknown) = app
        .get(&format!("/devices/NVR0107/retrieved/{}x", &id[1..]))
        .await;
    assert_eq!(status, 404, "{unknown}");
    assert_eq!(
        unknown, page,
        "an unknown id looks the same as another account's"
    );
    let anonymous = client().get(app.url(&location)).send().await.expect("GET");
    assert_eq!(anonymous.status(), 303);
    assert!(
        anonymous.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next="),
    );
    assert!(!anonymous.text().await.unwrap().contains(&first));

    // The password is kept sealed only: its plain text is nowhere in the database.
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM retrieved_passwords")
        .fetch_one(&app.state.store.db.pool)
        .await
        .unwrap();
    assert!(!sealed.windows(first.len()).any(|w| w == first.as_bytes()));

    // Valid until the last date has ended everywhere (UTC−12): then the page says it expired.
    let end = (to + time::Duration::days(1))
        .with_hms(12, 0, 0)
        .unwrap()
        .assume_utc()
        .unix_timestamp();
    app.clock.advance(end - 1 - app.clock.now());
    let (_, page) = app.get(&location).await;
    assert_eq!(
        password_on(&page).as_deref(),
        Some(first.as_str()),
        "{page}"
    );
    app.clock.advance(1);
    let (status, page) = app.get(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"id="result-expired""#), "{page}");
    assert!(!page.contains(&first), "{page}");
    assert!(
        page.contains(r#"href="/devices/NVR0107/retrieve""#),
        "what to do: {page}"
    );
    // Said in the page's language, in both.
    for lang in [Lang::Ja, Lang::En] {
        app.get(&format!("/lang/{}?next=/", lang.code())).await;
        let (_, page) = app.get(&location).await;
        assert!(
            shows(&page, &lang.t("cloud-retrieved-expired")),
            "{lang:?}: {page}"
        );
    }

    // The sweep erases the sealed password at once and deletes the row a day later.
    let swept = app
        .state
        .store
        .sweep(app.clock.now(), &Retention::DEFAULT)
        .await
        .unwrap();
    assert_eq!(swept.retrieved, 1);
    let sealed: Option<Vec<u8>> = sqlx::query_scalar("SELECT sealed FROM retrieved_passwords")
        .fetch_one(&app.state.store.db.pool)
        .await
        .unwrap();
    assert_eq!(sealed, None);
    app.clock.advance(Retention::DEFAULT.retrieved + 1);
    let swept = app
        .state
        .store
        .sweep(app.clock.now(), &Retention::DEFAULT)
        .await
        .unwrap();
    assert_eq!(swept.retrieved, 1);
    let (status, _) = app.get(&location).await;
    assert_eq!(status, 404);
}

pub async fn removing_the_device_deletes_its_retrieve_results(app: TestApp) {
    let _rec = owner_with_recorder(&app, "goro", "NVR0108", 108).await;
    let today = app.clock.now_utc().date().to_string();
    let location = retrieve(&app, "goro@example.com", "NVR0108", &today, &today).await;
    let (status, page) = app.get(&location).await;
    assert_eq!(status, 200);
    assert!(password_on(&page).is_some(), "{page}");
    let (status, _, body) = app
        .post("/devices/NVR0108/remove", "/devices/NVR0108/remove", &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM retrieved_passwords")
        .fetch_one(&app.state.store.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    let (status, page) = app.get(&location).await;
    assert_eq!(status, 404, "{page}");
}
