//! The registration QR code (p.16): its link before logging in, and through a sign-up on
//! the phone.

use super::{PW, device_key};
use crate::device;
use crate::support::{TestApp, has_notice, shows};

pub async fn registration_qr_link_asks_for_login_first(app: TestApp) {
    let rec = device::connect(&app.base, "NVR0011", &device_key(11)).await;
    let code = rec.register_code();
    let link = format!("/m/add?v=1&code={code}");
    let (status, location, _) = {
        let r = app.http.get(app.url(&link)).send().await.unwrap();
        (
            r.status().as_u16(),
            r.headers()["location"].to_str().unwrap().to_string(),
            (),
        )
    };
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("/login?next=%2Fm%2Fadd%3Fv%3D1%26code%3D{code}")
    );
    // Sign up on the phone (web), then the QR link shows the add form with the code filled in.
    app.signup_pc("qrfan", "qrfan@example.com", PW).await;
    let (status, body) = app.get(&link).await;
    assert_eq!(status, 200);
    // Shown grouped, as the recorder shows it.
    let grouped = rekey_proto::RegisterCode::parse(&code).unwrap().to_string();
    assert!(body.contains(&format!(r#"value="{grouped}""#)), "{body}");
    let (_, _, body) = app
        .post(
            &link,
            "/devices/add",
            &[("code", &code), ("name", "From QR")],
        )
        .await;
    assert!(
        has_notice(&body, "cloud-device-added") && shows(&body, "From QR"),
        "{body}"
    );
}

/// A registration QR code scanned before having an account: the login page's sign-up links carry
/// it, every step of the phone sign-up keeps it, and the new account lands on the add form with
/// the register code filled in (it used to land on an empty device list, the code lost).
pub async fn a_registration_qr_survives_signing_up_on_the_phone(app: TestApp) {
    let rec = device::connect(&app.base, "NVR0012", &device_key(12)).await;
    let code = rec.register_code();
    let link = format!("/m/add?v=1&code={code}");
    let phone = rekey_testkit::Browser::new(&app.base);
    let login = phone.follow(phone.get(&link).await).await;
    assert_eq!(login.path(), "/login", "{}", login.body);
    let signup = login
        .attr_of("signup-phone", "href")
        .unwrap_or_else(|| panic!("a phone sign-up link: {}", login.body));
    let first = phone.open(&signup).await;
    let carried = |p: &rekey_testkit::Page| {
        assert_eq!(
            p.input_value("next").as_deref(),
            Some(link.as_str()),
            "{}",
            p.body
        );
    };
    carried(&first);
    let email = "qrphone@example.com";
    let p = phone
        .submit(
            &signup,
            "/m/signup",
            &[("next", &link), ("step", "region"), ("region", "jp")],
        )
        .await;
    carried(&p);
    let p = phone
        .submit(
            &signup,
            "/m/signup",
            &[
                ("next", &link),
                ("step", "email"),
                ("region", "jp"),
                ("email", email),
            ],
        )
        .await;
    carried(&p);
    let mail_code = app.smtp.nth_for(email, 1).await.code();
    let p = phone
        .submit(
            &signup,
            "/m/signup",
            &[
                ("next", &link),
                ("step", "code"),
                ("region", "jp"),
                ("email", email),
                ("code", &mail_code),
            ],
        )
        .await;
    carried(&p);
    let done = phone
        .submit(
            &signup,
            "/m/signup",
            &[
                ("next", &link),
                ("step", "password"),
                ("region", "jp"),
                ("email", email),
                ("code", &mail_code),
                ("password", PW),
                ("confirm", PW),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some(link.as_str())),
        "{}",
        done.body
    );
    let add = phone.follow(done).await;
    assert_eq!(add.status, 200, "{}", add.body);
    let grouped = rekey_proto::RegisterCode::parse(&code).unwrap().to_string();
    assert!(
        add.body.contains(&format!(r#"value="{grouped}""#)),
        "{}",
        add.body
    );

    // The PC sign-up link carries it too.
    let pc = login
        .attr_of("signup-pc", "href")
        .expect("a PC sign-up link");
    assert_eq!(
        phone.open(&pc).await.input_value("next").as_deref(),
        Some(link.as_str())
    );
}
