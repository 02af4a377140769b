//! Retrieve's result page (p.25) shown again: the PC portal keeps the temporary password it
//! showed, sealed, for its account and device while it is valid ([`crate::store::retrieved`]),
//! so that reloading the page (post/redirect/get) shows the same password instead of trying the
//! used verification code again.

use rekey_proto::TemporaryPassword;
use time::Date;

use super::recovery::{Retrieved, parse_date};
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::store::accounts::Account;

/// When a date-window code's validity ends in every time zone: the end of its last date in the
/// zone furthest behind UTC (UTC−12), which is noon UTC the day after (Unix seconds). The
/// recorder checks the dates by its own clock, in its own zone, which the cloud does not know.
pub fn window_end(to: Date) -> i64 {
    let next = to.next_day().unwrap_or(to);
    next.with_hms(12, 0, 0)
        .map(|t| t.assume_utc().unix_timestamp())
        .unwrap_or(i64::MAX)
}

/// A temporary password Retrieve kept for its result page.
#[derive(Debug, Clone)]
pub enum KeptResult {
    /// Still valid: shown again.
    Valid(Retrieved),
    /// Its validity ended: only its dates are known.
    Expired {
        /// First valid date.
        from: Date,
        /// Last valid date.
        to: Date,
    },
}

/// The Retrieve result kept under `id` for `account` on its device `serial`. Another account's,
/// another device's, a deleted and a made-up id are all "not found", alike.
pub async fn kept_result(
    state: &AppState,
    account: &Account,
    serial: &str,
    id: &str,
) -> AppResult<KeptResult> {
    let not_found = || -> AppError {
        Problem::bad("error-not-found")
            .status(axum::http::StatusCode::NOT_FOUND)
            .into()
    };
    let device = super::devices::owned(state, account, serial)
        .await
        .map_err(|_| not_found())?;
    let kept = state
        .store
        .kept_retrieved(id, account.id, device.id, state.now())
        .await?
        .ok_or_else(not_found)?;
    let (from, to) = (parse_date(&kept.from)?, parse_date(&kept.to)?);
    Ok(match kept.password {
        Some(password) => KeptResult::Valid(Retrieved {
            password: TemporaryPassword::parse(password.expose())
                .map_err(|_| anyhow::anyhow!("a kept temporary password does not parse"))?,
            from,
            to,
            key_pending: kept.key_pending,
            result_id: None,
        }),
        None => KeptResult::Expired { from, to },
    })
}
