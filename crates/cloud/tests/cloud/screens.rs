//! One rendering test per portal screen and language: each screen, opened in Japanese and in
//! English, says so in `<html lang>`, has the catalog's title (and heading) for that language,
//! and shows no catalog key in place of a text. Everything else the tests check by key.

use rekey_web::Lang;
use rekey_web::i18n::catalog_keys;

use crate::recovery::{challenge, owner_with_recorder, path_of, qr_url};
use crate::support::{TestApp, page_of};

/// Who opens a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// A visitor who is not logged in.
    Visitor,
    /// The owner of the recorder `NVR0201`.
    Owner,
}

/// A screen: who opens it, where, the status it answers with, the catalog key of its title, and
/// whether its `<h1>` is that title too.
struct Screen {
    who: Who,
    path: String,
    status: u16,
    title: &'static str,
    heading: bool,
}

fn screen(who: Who, path: &str, title: &'static str) -> Screen {
    Screen {
        who,
        path: path.to_owned(),
        status: 200,
        title,
        heading: true,
    }
}

/// A page showing only a message (an error without a page of its own).
fn message(who: Who, path: &str, status: u16) -> Screen {
    Screen {
        who,
        path: path.to_owned(),
        status,
        title: "cloud-brand",
        heading: false,
    }
}

pub async fn every_portal_screen_renders_in_japanese_and_english(app: TestApp) {
    let rec = owner_with_recorder(&app, "yuki", "NVR0201", 201).await;
    let recover = path_of(&qr_url(
        &app,
        &rec,
        &challenge(&app, "admin@shop.example", 7),
    ));
    let code = rekey_proto::RegisterCode::from_random([5; 7]).compact();
    let screens = [
        // Before logging in (p.12–14).
        screen(Who::Visitor, "/login", "cloud-login-title"),
        screen(Who::Visitor, "/signup", "cloud-signup-title"),
        screen(Who::Visitor, "/m/signup", "cloud-signup-title"),
        screen(Who::Visitor, "/agreement", "cloud-agreement-title"),
        screen(Who::Visitor, "/forgot", "cloud-forgot-title"),
        message(Who::Visitor, "/no-such-page", 404),
        // Logged in (p.15–27).
        screen(Who::Owner, "/devices", "cloud-devices-title"),
        screen(
            Who::Owner,
            &format!("/m/add?v=1&code={code}"),
            "cloud-devices-title",
        ),
        screen(Who::Owner, "/devices/NVR0201/remove", "cloud-remove-title"),
        screen(
            Who::Owner,
            "/devices/NVR0201/retrieve",
            "cloud-retrieve-title",
        ),
        screen(Who::Owner, &recover, "cloud-recover-title"),
        screen(Who::Owner, "/activity", "cloud-activity-title"),
        screen(Who::Owner, "/account", "cloud-account-title"),
        screen(Who::Owner, "/transfers", "cloud-transfers-title"),
    ];
    let visitor = app.other_browser();
    for lang in Lang::ALL {
        let keys = catalog_keys(lang);
        for b in [&app, &visitor] {
            let (status, _) = b.get(&format!("/lang/{}?next=/", lang.code())).await;
            assert_eq!(status, 303, "the language is chosen");
        }
        for s in &screens {
            let b = match s.who {
                Who::Visitor => &visitor,
                Who::Owner => &app,
            };
            let (status, body) = b.get(&s.path).await;
            let what = format!("{} in {lang}", s.path);
            assert_eq!(status, s.status, "{what}: {body}");
            let page = page_of(&body);
            assert_eq!(page.html_lang().as_deref(), Some(lang.code()), "{what}");
            let title = lang.t(s.title);
            assert_eq!(
                page.title(),
                Some(format!("{title} — {}", lang.t("cloud-brand"))),
                "{what}: the title is the screen's name and the portal's"
            );
            if s.heading {
                assert_eq!(page.h1(), Some(title), "{what}");
            }
            assert_eq!(page.leaked_keys(&keys), Vec::<String>::new(), "{what}");
        }
    }
}
