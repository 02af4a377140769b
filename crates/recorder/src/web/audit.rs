//! The audit log page (the admin only): the newest entries, each with how many identical
//! events it stands for.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use rekey_web::Lang;
use rekey_web::i18n::Arg;

use super::views::{AuditPage, AuditRow};
use super::{Admin, Result};
use crate::audit::Event;
use crate::startup::App;

/// How many entries the page shows.
pub const AUDIT_PAGE_ROWS: i64 = 500;

fn audit_detail(lang: Lang, event: Option<Event>, detail: Option<&str>) -> String {
    let Some(d) = detail else {
        return String::new();
    };
    match event {
        Some(Event::RecoveryFailed) => lang.t(&format!("rec-reason-{d}")),
        Some(Event::RecoverySucceeded) => lang.t(&format!("rec-audit-{d}")),
        Some(Event::RecoveryRequestRefused) => lang.t(&format!("rec-audit-limit-{d}")),
        Some(Event::CloudReleased) => lang.t(&format!("rec-audit-release-{d}")),
        Some(
            Event::CloudEnrolled
            | Event::CloudRegistered
            | Event::CloudTransferred
            | Event::CloudAccountDeleted
            | Event::CloudKeyChanged,
        ) => lang.t_args(
            "rec-audit-key-epoch",
            &[("epoch", Arg::Num(d.parse::<i64>().unwrap_or(0)))],
        ),
        Some(Event::RecoveryLocked) => {
            let minutes = d.parse::<i64>().unwrap_or(0) / 60;
            lang.t_args("rec-audit-locked-for", &[("minutes", Arg::Num(minutes))])
        }
        _ => d.to_owned(),
    }
}

/// The newest entries, latest event first.
pub async fn audit(State(app): State<Arc<App>>, Admin(mut req): Admin) -> Result<Response> {
    let lang = req.lang;
    let records = app
        .store
        .audit_log(AUDIT_PAGE_ROWS)
        .await
        .map_err(|e| req.err(e))?;
    let rows = records
        .into_iter()
        .map(|r| {
            let e = r.entry;
            let event = Event::from_code(&e.event);
            AuditRow {
                at: app.config.time_zone.format(e.at),
                repeated: if r.times > 1 {
                    lang.t_args(
                        "rec-audit-repeated",
                        &[
                            ("count", Arg::Num(r.times)),
                            ("last", Arg::Str(app.config.time_zone.format(r.last_at))),
                        ],
                    )
                } else {
                    String::new()
                },
                code: e.event.clone(),
                event: event.map_or_else(
                    || e.event.clone(),
                    |ev| lang.t(&format!("rec-audit-event-{}", ev.code())),
                ),
                detail_code: e.detail.clone().unwrap_or_default(),
                user: e.user_name.unwrap_or_default(),
                client: e.client.unwrap_or_default(),
                detail: audit_detail(lang, event, e.detail.as_deref()),
            }
        })
        .collect();
    let page = AuditPage {
        chrome: req.chrome(),
        rows,
    };
    Ok(req.page(&page))
}
