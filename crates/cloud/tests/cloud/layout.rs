//! What the phone layout relies on in the pages' markup: the add-from-QR page leads with its
//! title and the add form, and shows the register code grouped as the recorder shows it.

use rekey_proto::{DeviceSigningKey, RegisterCode};
use rekey_web::Lang;

use crate::device;
use crate::support::{TestApp, shows};

pub async fn the_add_from_qr_page_shows_the_code_grouped_under_its_title(app: TestApp) {
    let rec = device::connect(&app.base, "NVR0013", &DeviceSigningKey::from_seed([13; 32])).await;
    let code = RegisterCode::parse(&rec.register_code()).expect("a register code");
    app.signup_pc(
        "qrlayout",
        "qrlayout@example.com",
        "correct horse battery staple",
    )
    .await;
    for lang in [Lang::Ja, Lang::En] {
        app.get(&format!("/lang/{}?next=/", lang.code())).await;
        // The QR carries the compact form.
        let (status, page) = app
            .get(&format!("/m/add?v=1&code={}", code.compact()))
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains(&format!(r#"name="code" value="{code}""#)),
            "grouped XXXX-XXXX-XXXX: {page}"
        );
        assert_eq!(code.to_string().len(), 14);
        // Title, then the notice inside the add form, then the device list.
        let title = page.find("<h1>").expect("a title");
        let notice = page.find(r#"id="from-qr""#).expect("the QR notice");
        let form = page.find(r#"action="/devices/add""#).expect("the add form");
        assert!(title < form && form < notice, "{page}");
        assert!(
            shows(&page, &lang.t("cloud-add-from-qr")),
            "{lang:?}: {page}"
        );
    }
    // Without the QR, the list comes first and no QR notice is shown.
    let (_, page) = app.get("/devices").await;
    assert!(!page.contains(r#"id="from-qr""#), "{page}");
}
