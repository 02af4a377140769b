//! Deleting an account and exporting its data (user information; docs/api.md, "Deleting the
//! account"). Deletion takes two steps: the current password (counted against the account's
//! re-authentication limit), which e-mails a code to the account's address, then the code. In
//! one transaction every recorder bound to the account is released as a release from the
//! recorder releases it (docs/protocol.md §9: unbound, its recovery key rotated so that the
//! account's codes stop working, the event recorded), the account's sessions end, it is marked
//! deleted (no login; its address can sign up again) and a notice is queued. The sweep deletes
//! its data after the configured retention (docs/deploying.md, "Housekeeping").

use rekey_proto::gateway::KeyCause;
use serde_json::{Value, json};

use super::Client;
use super::accounts::{check_code, parse_code, send_code};
use super::attempts::{check_current_password, limit_codes, settle_code_request};
use super::devices::add_key;
use crate::error::{AppResult, Problem};
use crate::mail::MailKind;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::codes::Purpose;
use crate::store::device_events::DeviceEventKind;

/// Step 1: checks the current password and e-mails a confirmation code to the account's
/// address. Nothing changes yet.
pub async fn start(
    state: &AppState,
    client: Client,
    account: &Account,
    current_password: &str,
) -> AppResult<()> {
    check_current_password(state, account, current_password).await?;
    let slot = limit_codes(state, client).await?;
    let sent = send_code(
        state,
        Purpose::DeleteAccount,
        &account.email,
        Some(account.id),
        None,
        account.lang,
    )
    .await;
    settle_code_request(state, slot, sent).await
}

/// Step 2: the code from step 1 deletes the account. Returns the serials of the recorders it
/// released.
pub async fn finish(state: &AppState, account: &Account, code: &str) -> AppResult<Vec<String>> {
    let code = parse_code(code)?;
    let accepted = check_code(state, Purpose::DeleteAccount, &account.email, &code).await?;
    if accepted.account_id != Some(account.id) {
        return Err(Problem::bad("cloud-code-none").into());
    }
    let devices = state.store.devices_of(account.id).await?;
    let mut rotations = Vec::with_capacity(devices.len());
    for device in &devices {
        let newest = state.store.newest_recovery_key(device.id).await?;
        rotations.push(newest.map_or(0, |k| k.epoch));
    }
    let now = state.now();
    let mut tx = state.store.db.pool.begin().await?;
    // Locked as an offer or an acceptance locks them, so that none of them waits for another.
    (state.store)
        .lock_devices(&mut tx, devices.iter().map(|d| d.id))
        .await?;
    state.store.mark_code_used(&mut tx, &accepted, now).await?;
    let mut lines = Vec::with_capacity(devices.len());
    for (device, &epoch) in devices.iter().zip(&rotations) {
        // The same condition as a release from the recorder: only this binding, of this key.
        // A concurrent change (a removal, a release) makes the whole deletion fail and be tried
        // again, rather than leave a recorder bound to a deleted account.
        let unbound = (state.store)
            .unbind_binding(&mut tx, device.id, account.id, epoch)
            .await?;
        if !unbound || epoch == u32::MAX {
            return Err(Problem::bad("cloud-account-delete-changed").into());
        }
        add_key(state, &mut tx, device, epoch + 1, KeyCause::AccountDeleted).await?;
        let name = device.name.as_deref();
        (state.store)
            .record_device_event(
                &mut tx,
                account.id,
                DeviceEventKind::AccountDeleted,
                device.serial.as_str(),
                name,
                epoch,
                now,
            )
            .await?;
        lines.push(match name {
            Some(n) if n != device.serial.as_str() => format!("- {n} ({})", device.serial),
            _ => format!("- {}", device.serial),
        });
    }
    if !state
        .store
        .mark_account_deleted(&mut tx, account.id, now)
        .await?
    {
        return Err(Problem::bad("cloud-api-login-required")
            .status(axum::http::StatusCode::UNAUTHORIZED)
            .into());
    }
    let devices_text = if lines.is_empty() {
        account.lang.t("mail-account-deleted-no-devices")
    } else {
        lines.join("\n")
    };
    let notice = MailKind::AccountDeleted {
        when: account.time_zone.format(now),
        devices: devices_text,
        days: i64::from(state.config.deleted_account_retention_days),
    };
    (state.store)
        .queue_mail(&mut tx, &notice.to_account(account), now)
        .await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    tracing::info!(
        account_id = account.id,
        released = devices.len(),
        "account deleted"
    );
    // Each recorder, when connected (now or at its next connection), learns it is unbound,
    // shows a new register code and gets the rotated key.
    for device in &devices {
        crate::gateway::announce(state, &device.serial).await;
    }
    Ok(devices
        .iter()
        .map(|d| d.serial.as_str().to_string())
        .collect())
}

/// The account's data as a JSON document: the account's fields, its devices, the temporary
/// passwords issued for them (activity) and its device events. No secret: no password hash,
/// recovery key, code or kept temporary password.
pub async fn export(state: &AppState, account: &Account) -> AppResult<Value> {
    let zone = &account.time_zone;
    let devices: Vec<Value> = (state.store.devices_of(account.id).await?)
        .iter()
        .map(|d| {
            json!({
                "serial": d.serial.as_str(),
                "name": d.name,
                "added_at": rfc3339(d.bound_at.unwrap_or(d.enrolled_at)),
                "online": d.online(),
                "last_seen": rfc3339(d.last_seen_at),
            })
        })
        .collect();
    let activity: Vec<Value> = (state.store.issues_of(account.id, i64::MAX).await?)
        .iter()
        .map(|i| {
            json!({
                "at": rfc3339(i.created_at),
                "kind": i.kind,
                "path": i.path,
                "serial": i.serial,
                "device_name": i.device_name,
                "valid_from": i.window.as_ref().map(|w| w.0.clone()),
                "valid_to": i.window.as_ref().map(|w| w.1.clone()),
                "valid_until": i.valid_until.map(rfc3339),
                "sent_to": i.sent_to,
            })
        })
        .collect();
    let events: Vec<Value> = (state.store.device_events_of(account.id, i64::MAX).await?)
        .iter()
        .map(|e| {
            json!({
                "at": rfc3339(e.created_at),
                "kind": e.kind,
                "serial": e.serial,
                "device_name": e.device_name,
            })
        })
        .collect();
    Ok(json!({
        "format": "rekey-account-export/1",
        "exported_at": rfc3339(state.now()),
        "account": {
            "username": account.username.as_str(),
            "email": account.email.as_str(),
            "region": account.region,
            "lang": account.lang.code(),
            "time_zone": zone.name(),
            "agreement_version": account.agreement_version,
            "created_at": rfc3339(account.created_at),
        },
        "devices": devices,
        "activity": activity,
        "device_events": events,
    }))
}

/// A time as RFC 3339 in UTC (the API's and the export's times).
pub(crate) fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
