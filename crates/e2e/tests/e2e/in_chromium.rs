//! Issue 10: the manual's four paths in a real browser — headless Chromium through
//! chromedriver, at a PC's and at a phone's size, in Japanese and in English — against the real
//! cloud and recorder processes. In the manual's order: preparation on the phone (p.4–10) and
//! on the PC (p.11–17), recovery on the phone (p.18–21) and on the PC (p.22–27); then the PC's
//! owner hands its recorder over to the phone's, who accepts it on the phone (issue 11).
//!
//! Two browsers take part, as two devices would: the admin's, in front of the recorders' web
//! pages, which also serves as the owner's PC; and the owner's phone, which only ever opens
//! what it reads from the recorder's screen (the QR codes, decoded from the screen's pixels).
//! Every screen is checked by `Chromium::screen`: the walk's language, no serious or critical
//! axe-core violation, no sideways scrolling.

use std::path::PathBuf;

use rekey_testkit::chromium::{Chromium, Viewport};

use crate::harness::{Backend, Recorder, System, binaries, spawn_system};
use crate::recovery::{NEW_PASSWORD, emailed_password};
use crate::steps::{ADMIN_PASSWORD, CLOUD_PASSWORD};

/// Where failed walks leave their screenshots: `target/browser-screens/`.
fn screens_dir() -> PathBuf {
    binaries()
        .parent()
        .unwrap_or_else(|| binaries())
        .join("browser-screens")
}

/// Walks the four paths in `lang` at `viewport`.
pub async fn walk(lang: &str, viewport: Viewport) {
    let sys = spawn_system(Backend::Sqlite)
        .await
        .expect("SQLite is always available");
    let name = format!("{lang}-{}", viewport.name());
    let admin = Chromium::start(&format!("{name}-pc"), lang, viewport, &screens_dir()).await;
    let phone = Chromium::start(&format!("{name}-phone"), lang, viewport, &screens_dir()).await;
    let walk = Walk {
        sys: &sys,
        admin: &admin,
        phone: &phone,
    };
    admin
        .guard(phone.guard(async {
            let on_phone = sys.recorder("NVRWEB0001").await;
            let on_pc = sys.recorder("NVRWEB0002").await;
            walk.phone_preparation(&on_phone).await;
            walk.pc_preparation(&on_pc).await;
            walk.phone_recovery(&on_phone).await;
            walk.pc_recovery(&on_pc).await;
            walk.hand_over(&on_pc).await;
            walk.declined_and_cancelled(&[&on_phone, &on_pc]).await;
        }))
        .await;
    admin.close().await;
    phone.close().await;
}

struct Walk<'a> {
    sys: &'a System,
    /// The admin's browser at the recorders, also the owner's PC.
    admin: &'a Chromium,
    /// The owner's phone.
    phone: &'a Chromium,
}

/// The recorders' admin addresses, where phone-path temporary passwords go.
const HELPER_EMAIL: &str = "helper@example.org";

impl Walk<'_> {
    /// p.4: activation, then Menu → Network → Cloud → enabled → Apply; the page shows the
    /// register code and its QR code once the recorder is online. Returns the code and the
    /// link the QR code holds (read from the screen), which is also the link beside it.
    async fn enable_cloud(&self, rec: &Recorder) -> (String, String) {
        let b = self.admin;
        b.open(&format!("{}/", rec.url), "recorder-activation")
            .await;
        assert_eq!(
            b.path().await,
            "/activate",
            "a fresh recorder asks for activation"
        );
        b.submit(
            "form[action=\"/activate\"]",
            &[
                ("password", ADMIN_PASSWORD),
                ("confirm", ADMIN_PASSWORD),
                ("email", HELPER_EMAIL),
            ],
            "recorder-cloud-after-activation",
        )
        .await;
        assert_eq!(
            b.path().await,
            "/network/cloud",
            "activation logs the admin in"
        );
        b.submit(
            "form[action=\"/network/cloud\"]",
            &[("enabled", "on")],
            "recorder-cloud-enabled",
        )
        .await;
        b.wait_for(
            &format!("{}/network/cloud", rec.url),
            "#cloud-status[data-status=\"online\"] ",
            "recorder-cloud-online",
        )
        .await;
        let code = b.text("register-code").await;
        let link = b
            .attr("#register-link", "href")
            .await
            .expect("the link beside the QR code");
        assert_eq!(
            b.qr_link("#register-qr").await,
            link,
            "the registration QR code holds the link beside it"
        );
        assert!(
            link.ends_with(&code.replace('-', "")),
            "the link carries the code: {link}"
        );
        (code, link)
    }

    /// Waits until the recorder's cloud page says it is registered and prepared.
    async fn wait_prepared(&self, rec: &Recorder) {
        self.admin
            .wait_for(
                &format!("{}/network/cloud", rec.url),
                "#recovery-key[data-prepared=\"true\"]",
                "recorder-cloud-prepared",
            )
            .await;
        assert!(
            self.admin.has("#registered").await,
            "the recorder says it is registered"
        );
        assert!(
            !self.admin.has("#register-qr").await,
            "no registration QR code once registered"
        );
    }

    /// p.4–10: the phone reads the registration QR code while logged out, signs up in the
    /// phone's order (region, e-mail, code, password and agreement) and adds the recorder
    /// without scanning again.
    async fn phone_preparation(&self, rec: &Recorder) {
        let (code, link) = self.enable_cloud(rec).await;
        let p = self.phone;
        p.open(&link, "portal-login-from-qr").await;
        assert_eq!(
            p.path().await,
            "/login",
            "logged out, the phone is asked to log in"
        );
        p.click("#signup-phone", "portal-phone-signup-region").await;
        assert_eq!(p.path().await, "/m/signup");
        let form = "form[action^=\"/m/signup\"]";
        p.submit(form, &[("region", "jp")], "portal-phone-signup-email")
            .await;
        let email = "hanako@example.jp";
        p.submit(form, &[("email", email)], "portal-phone-signup-code")
            .await;
        let verification = self.sys.smtp.nth_for(email, 1).await.code();
        p.submit(
            form,
            &[("code", &verification)],
            "portal-phone-signup-password",
        )
        .await;
        p.submit(
            form,
            &[
                ("password", CLOUD_PASSWORD),
                ("confirm", CLOUD_PASSWORD),
                ("agree", "yes"),
            ],
            "portal-add-from-qr",
        )
        .await;
        assert_eq!(
            p.path().await,
            "/m/add",
            "sign-up goes on to the scanned recorder"
        );
        let form = "form[action=\"/devices/add\"]";
        let kept = p
            .attr(&format!("{form} [name=\"code\"]"), "value")
            .await
            .unwrap_or_default();
        assert_eq!(
            kept.replace('-', ""),
            code.replace('-', ""),
            "the register code survived the sign-up"
        );
        p.submit(form, &[("name", "Shop front")], "portal-device-added")
            .await;
        assert!(
            p.has(&format!("a[href=\"/devices/{}/retrieve\"]", rec.serial))
                .await,
            "the device list shows the recorder"
        );
        self.wait_prepared(rec).await;
    }

    /// p.11–17: the PC signs up in the PC's order and adds the recorder by its register code.
    async fn pc_preparation(&self, rec: &Recorder) {
        let (code, _) = self.enable_cloud(rec).await;
        let b = self.admin;
        let cloud = &self.sys.cloud_url;
        b.open(&format!("{cloud}/signup"), "portal-signup").await;
        let email = "taro@example.com";
        b.submit(
            "form[action=\"/signup\"]",
            &[
                ("username", "taro"),
                ("password", CLOUD_PASSWORD),
                ("confirm", CLOUD_PASSWORD),
                ("region", "jp"),
                ("email", email),
            ],
            "portal-signup-code",
        )
        .await;
        let verification = self.sys.smtp.nth_for(email, 1).await.code();
        b.submit(
            "form[action=\"/signup/verify\"]",
            &[("code", &verification), ("agree", "yes")],
            "portal-devices-empty",
        )
        .await;
        assert_eq!(b.path().await, "/devices");
        b.submit(
            "form[action=\"/devices/add\"]",
            &[("code", &code), ("name", "Back office")],
            "portal-device-added",
        )
        .await;
        assert!(
            b.has(&format!("a[href=\"/devices/{}/retrieve\"]", rec.serial))
                .await,
            "the device list offers Retrieve for the recorder"
        );
        self.wait_prepared(rec).await;
    }

    /// The recorder's login → "Forgot password?" → the recovery screen, either asking for a
    /// recovery QR code (`send`) or going straight to where a code is typed.
    async fn forgot(&self, rec: &Recorder, send: bool) {
        let b = self.admin;
        b.open(&format!("{}/login", rec.url), "recorder-login")
            .await;
        b.click("#forgot-password", "recorder-forgot").await;
        if send {
            b.submit("form[action=\"/forgot\"]", &[], "recorder-recovery")
                .await;
        } else {
            b.click("a[href=\"/recovery\"]", "recorder-recovery-without-qr")
                .await;
        }
        assert_eq!(b.path().await, "/recovery");
    }

    /// The temporary password and a new admin password on the recovery screen; the new one
    /// then logs the admin in.
    async fn enter(&self, rec: &Recorder, code: &str) {
        let b = self.admin;
        b.submit(
            "form[action=\"/recovery\"]",
            &[
                ("code", code),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
            "recorder-login-after-recovery",
        )
        .await;
        assert_eq!(b.path().await, "/login", "recovery leads to the login page");
        b.submit(
            "form[action=\"/login\"]",
            &[("username", "admin"), ("password", NEW_PASSWORD)],
            "recorder-cloud-after-recovery",
        )
        .await;
        assert_eq!(
            b.path().await,
            "/network/cloud",
            "the new password logs the admin in on {}",
            rec.serial
        );
    }

    /// p.18–21: the phone reads the recovery QR code from the recorder's screen and has the
    /// temporary password sent to the recorder's admin address.
    async fn phone_recovery(&self, rec: &Recorder) {
        self.forgot(rec, true).await;
        let b = self.admin;
        let link = b
            .attr("#recovery-link", "href")
            .await
            .expect("the link beside the recovery QR code");
        assert_eq!(
            b.qr_link("#recovery-qr").await,
            link,
            "the recovery QR code holds the link beside it"
        );
        let p = self.phone;
        p.open(&link, "portal-recover").await;
        assert_eq!(p.path().await, "/m/recover");
        assert_eq!(p.text("device-name").await, "Shop front");
        let before = self.sys.smtp.count_for(HELPER_EMAIL);
        p.submit("form[action=\"/m/recover\"]", &[], "portal-recover-sent")
            .await;
        assert!(p.has("#sent").await, "the phone says the password was sent");
        let code = emailed_password(self.sys, HELPER_EMAIL, before).await;
        self.enter(rec, &code).await;
    }

    /// p.22–27: Retrieve on the PC with valid dates and the code mailed to the account; the
    /// temporary password on the recorder's recovery screen.
    async fn pc_recovery(&self, rec: &Recorder) {
        let b = self.admin;
        let cloud = &self.sys.cloud_url;
        b.open(&format!("{cloud}/devices"), "portal-devices").await;
        b.click(
            &format!("a[href=\"/devices/{}/retrieve\"]", rec.serial),
            "portal-retrieve",
        )
        .await;
        let email = "taro@example.com";
        let before = self.sys.smtp.count_for(email);
        // The dates the form proposes.
        b.submit(
            &format!("form[action=\"/devices/{}/retrieve/code\"]", rec.serial),
            &[],
            "portal-retrieve-code",
        )
        .await;
        let verification = self.sys.smtp.nth_for(email, before + 1).await.code();
        b.submit(
            &format!("form[action=\"/devices/{}/retrieve\"]", rec.serial),
            &[("code", &verification)],
            "portal-retrieve-result",
        )
        .await;
        let code = b.text("temporary-password").await;
        self.forgot(rec, false).await;
        self.enter(rec, &code).await;
    }

    /// The PC's owner hands its recorder over to the phone's account (the Hand-overs page, the
    /// account password typed again); the phone's owner accepts it on the phone.
    async fn hand_over(&self, rec: &Recorder) {
        let cloud = &self.sys.cloud_url;
        let b = self.admin;
        b.open(&format!("{cloud}/transfers"), "portal-hand-overs")
            .await;
        b.submit(
            "form#new-transfer",
            &[
                ("serial", "on"),
                ("to", "hanako@example.jp"),
                ("password", CLOUD_PASSWORD),
            ],
            "portal-hand-over-offered",
        )
        .await;
        assert!(
            b.has("form[data-direction=\"outgoing\"]").await,
            "the offer is listed for its sender"
        );
        let p = self.phone;
        p.open(&format!("{cloud}/transfers"), "portal-hand-over-incoming")
            .await;
        p.submit(
            "form[data-direction=\"incoming\"]",
            &[],
            "portal-hand-over-accepted",
        )
        .await;
        p.open(
            &format!("{cloud}/devices"),
            "portal-devices-after-hand-over",
        )
        .await;
        assert!(
            p.has(&format!("a[href=\"/devices/{}/retrieve\"]", rec.serial))
                .await,
            "the recorder is in the receiving account"
        );
        // The recorder learns it with its new key, and its audit log says so.
        self.admin
            .wait_for(
                &format!("{}/audit", rec.url),
                "tr[data-event=\"cloud-transferred\"]",
                "recorder-audit-after-hand-over",
            )
            .await;
    }

    /// The phone's owner, now holding both recorders, offers them to the PC's owner, who
    /// declines; offers them again and cancels before an answer. Nothing moves.
    async fn declined_and_cancelled(&self, recs: &[&Recorder]) {
        let cloud = &self.sys.cloud_url;
        let (p, b) = (self.phone, self.admin);
        let offer = async || {
            p.open(&format!("{cloud}/transfers"), "portal-hand-overs-phone")
                .await;
            for rec in recs {
                p.tick(&format!(
                    "form#new-transfer input[data-serial=\"{}\"]",
                    rec.serial
                ))
                .await;
            }
            p.submit(
                "form#new-transfer",
                &[("to", "taro@example.com"), ("password", CLOUD_PASSWORD)],
                "portal-hand-over-offered-phone",
            )
            .await;
            assert!(
                p.has("[data-notice=\"cloud-transfer-offered\"]").await,
                "the offer is made"
            );
        };
        offer().await;
        b.open(
            &format!("{cloud}/transfers"),
            "portal-hand-over-incoming-pc",
        )
        .await;
        b.click(
            "form[data-direction=\"incoming\"] button[formaction$=\"/decline\"]",
            "portal-hand-over-declined",
        )
        .await;
        assert!(
            b.has("[data-notice=\"cloud-transfer-declined-notice\"]")
                .await,
            "the offer is declined"
        );
        offer().await;
        p.click(
            "form[data-direction=\"outgoing\"] [type=\"submit\"]",
            "portal-hand-over-cancelled",
        )
        .await;
        assert!(
            p.has("[data-notice=\"cloud-transfer-cancelled-notice\"]")
                .await,
            "the offer is cancelled"
        );
        b.open(&format!("{cloud}/transfers"), "portal-hand-overs-none")
            .await;
        assert!(
            b.has("#no-transfers").await,
            "nothing waits for the PC's owner"
        );
        p.open(&format!("{cloud}/devices"), "portal-devices-kept")
            .await;
        for rec in recs {
            assert!(
                p.has(&format!("a[href=\"/devices/{}/retrieve\"]", rec.serial))
                    .await,
                "{} stays with the phone's owner",
                rec.serial
            );
        }
    }
}
