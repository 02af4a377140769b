//! One rendering test per recorder screen and language: each screen, opened in Japanese and in
//! English, says so in `<html lang>`, has the catalog's title and heading for that language, and
//! shows no catalog key in place of a text. Everything else the tests check by key.

use rekey_web::Lang;
use rekey_web::i18n::catalog_keys;

use crate::recovery::{prepared, request_challenge};
use crate::support::{Browser, TestCloud, spawn_recorder};

/// A screen: the browser that opens it, where, the status it answers with, and the catalog key
/// of its title (and heading).
struct Screen<'a> {
    browser: &'a Browser,
    path: &'static str,
    status: u16,
    title: &'static str,
}

#[tokio::test]
async fn every_recorder_screen_renders_in_japanese_and_english() {
    let mut cloud = TestCloud::start().await;
    // A recorder on its first start, and one prepared for recovery with a request pending.
    let fresh = spawn_recorder(&cloud).await;
    let (rec, admin, _key) = prepared(&mut cloud, "owner@example.com").await;
    let first_start = fresh.browser();
    let visitor = rec.browser();
    request_challenge(&visitor).await;
    let screen = |browser, path, title| Screen {
        browser,
        path,
        status: 200,
        title,
    };
    let screens = [
        screen(&first_start, "/activate", "rec-activate-title"),
        screen(&visitor, "/login", "rec-login-title"),
        screen(&visitor, "/forgot", "rec-forgot-title"),
        screen(&visitor, "/recovery", "rec-recovery-title"),
        Screen {
            browser: &visitor,
            path: "/no-such-page",
            status: 404,
            title: "rec-error-title",
        },
        screen(&admin, "/network/cloud", "rec-cloud-title"),
        screen(&admin, "/users", "rec-users-title"),
        screen(&admin, "/audit", "rec-audit-title"),
    ];
    for lang in Lang::ALL {
        let keys = catalog_keys(lang);
        for b in [&first_start, &visitor, &admin] {
            b.get(&format!("/lang?set={}&next=/login", lang.code()))
                .await;
        }
        for s in &screens {
            let page = s.browser.get(s.path).await;
            let what = format!("{} in {lang}", s.path);
            assert_eq!(page.status, s.status, "{what}: {}", page.body);
            assert_eq!(page.html_lang().as_deref(), Some(lang.code()), "{what}");
            let title = lang.t(s.title);
            assert_eq!(
                page.title(),
                Some(format!("{title} · {}", lang.t("rec-app-title"))),
                "{what}: the title is the screen's name and the recorder's"
            );
            assert_eq!(page.h1(), Some(title), "{what}");
            assert_eq!(page.leaked_keys(&keys), Vec::<String>::new(), "{what}");
        }
    }
}
