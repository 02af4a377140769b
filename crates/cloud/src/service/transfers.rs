//! Transfers between accounts and installer hand-overs (docs/protocol.md §9, "Transfer"): the
//! owning account offers one or more of its devices to an e-mail address, re-entering its
//! password; the account with that address accepts all or some of them before the offer
//! expires. Until then nothing changes. An accepted device's binding moves to the recipient and
//! its recovery key rotates (as at any binding), so codes made for the former owner stop
//! working and the recorder gets the new key over the gateway.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use rekey_web::random_array;

use super::attempts::{check_current_password, limit_transfer_offers};
use super::devices::add_key;
use crate::error::{AppResult, Problem};
use crate::mail::MailKind;
use crate::state::AppState;
use crate::store::accounts::{Account, email_key};
use crate::store::device_events::DeviceEventKind;
use crate::store::devices::Device;
use crate::store::transfers::{Transfer, TransferDevice, TransferState};
use rekey_proto::Email;
use rekey_proto::gateway::KeyCause;

/// A transfer as its sender or its recipient sees it.
#[derive(Debug, Clone)]
pub struct TransferView {
    /// The transfer.
    pub transfer: Transfer,
    /// Whether the viewer is its recipient (else its sender).
    pub incoming: bool,
    /// The sending account's user name.
    pub from_username: String,
    /// The devices it lists.
    pub devices: Vec<TransferDevice>,
}

/// What an acceptance did, by serial.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Now the recipient's.
    pub moved: Vec<String>,
    /// Not selected: they stay with the sender.
    pub declined: Vec<String>,
    /// No longer the sender's since the offer (removed or released): nothing moved.
    pub gone: Vec<String>,
}

fn not_found() -> Problem {
    Problem::bad("cloud-transfer-not-found").status(StatusCode::NOT_FOUND)
}

/// Offers the account's devices `serials` to the address `to`, once `password` (the account's
/// current one) is checked; returns the open transfer. Nothing else changes.
pub async fn start(
    state: &AppState,
    account: &Account,
    to: &str,
    serials: &[String],
    password: &str,
) -> AppResult<Transfer> {
    let to = super::accounts::parse_email(to)?;
    let to_key = email_key(&to);
    if to_key == email_key(&account.email) {
        return Err(Problem::bad("cloud-transfer-to-self").into());
    }
    let serials: BTreeSet<&str> = serials
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if serials.is_empty() {
        return Err(Problem::bad("cloud-transfer-no-devices").into());
    }
    let mut devices = Vec::new();
    for serial in &serials {
        let owned = super::devices::owned(state, account, serial).await;
        let Ok(device) = owned else {
            return Err(Problem::bad("cloud-transfer-device-not-yours")
                .status(StatusCode::NOT_FOUND)
                .arg("serial", serial.to_string())
                .into());
        };
        devices.push(device);
    }
    // A stolen session alone cannot give devices away: the password is checked (and counted
    // against the account's re-authentication tries) before anything is stored.
    check_current_password(state, account, password).await?;
    // The day's offer is reserved before anything is stored; an offer refused below (a device
    // already offered elsewhere, a failure on our side) mailed nothing and gives it back.
    let slot = limit_transfer_offers(state, account).await?;
    let stored = store_offer(state, account, &to, &devices).await;
    match &stored {
        Ok(_) => slot.succeeded(&state.store).await?,
        Err(_) => slot.refund(&state.store).await?,
    }
    let id = stored?;
    let transfer = state.store.transfer(&id, state.now()).await?;
    Ok(transfer.ok_or_else(|| anyhow::anyhow!("the new transfer vanished"))?)
}

/// Stores the offer of `devices` (checked to be the account's) to `to` with its mail, in one
/// transaction, unless one of them is in another open offer; returns its id.
async fn store_offer(
    state: &AppState,
    account: &Account,
    to: &Email,
    devices: &[Device],
) -> AppResult<String> {
    let to_key = email_key(to);
    let mut offered = Vec::new();
    for d in devices {
        let epoch = state.store.newest_recovery_key(d.id).await?;
        offered.push((d.id, epoch.map_or(0, |k| k.epoch)));
    }
    let now = state.now();
    let ttl = i64::try_from(state.config.transfer_ttl.as_secs()).unwrap_or(i64::MAX / 2);
    let expires_at = now.saturating_add(ttl);
    let id: String = random_array::<16>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let recipient = state.store.account_by_email(to).await?;
    let mut tx = state.store.db.pool.begin().await?;
    // Each offered device's row is locked first: a parallel offer of one of them waits here
    // until this one commits or rolls back, and then its check below sees this offer.
    (state.store)
        .lock_devices(&mut tx, devices.iter().map(|d| d.id))
        .await?;
    (state.store)
        .create_transfer(
            &mut tx,
            &id,
            account.id,
            to.as_str(),
            &to_key,
            &offered,
            now,
            expires_at,
        )
        .await?;
    // Checked after the insert, in the same transaction and under the devices' locks.
    for d in devices {
        if (state.store)
            .device_in_other_open_transfer(&mut tx, d.id, &id, now)
            .await?
        {
            return Err(Problem::bad("cloud-transfer-device-pending")
                .status(StatusCode::CONFLICT)
                .arg("serial", d.serial.as_str().to_string())
                .into());
        }
    }
    // The offer goes to the address in the recipient's language if it has an account, else in
    // the sender's; with no account yet, the mail invites the reader to sign up with it.
    let (lang, zone) = match &recipient {
        Some(r) => (r.lang, r.time_zone.clone()),
        None => (account.lang, account.time_zone.clone()),
    };
    let offer = MailKind::TransferOffered {
        from: account.username.as_str().to_string(),
        devices: device_list(
            devices
                .iter()
                .map(|d| (d.serial.as_str(), d.name.as_deref())),
        ),
        until: zone.format(expires_at),
        link: format!(
            "{}/transfers/{id}",
            state.config.base_url.as_str().trim_end_matches('/')
        ),
    };
    (state.store)
        .queue_mail(&mut tx, &offer.to_mail(to.as_str(), lang, 0), now)
        .await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    tracing::info!(transfer = %id, account_id = account.id, devices = devices.len(), "transfer offered");
    Ok(id)
}

/// "Name (serial), …" for the mails.
fn device_list<'a>(devices: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> String {
    devices
        .map(|(serial, name)| match name {
            Some(n) if n != serial => format!("{n} ({serial})"),
            _ => serial.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The open transfers the account sent or can accept, newest first.
pub async fn open(state: &AppState, account: &Account) -> AppResult<Vec<TransferView>> {
    let now = state.now();
    let list = (state.store)
        .open_transfers(account.id, &email_key(&account.email), now)
        .await?;
    let mut out = Vec::new();
    for t in list {
        out.push(view_of(state, account, t).await?);
    }
    Ok(out)
}

async fn view_of(state: &AppState, account: &Account, t: Transfer) -> AppResult<TransferView> {
    let from_username = if t.from_account == account.id {
        account.username.as_str().to_string()
    } else {
        (state.store.account_by_id(t.from_account).await?)
            .map(|a| a.username.as_str().to_string())
            .unwrap_or_default()
    };
    let devices = state.store.transfer_devices(&t.id).await?;
    Ok(TransferView {
        incoming: t.from_account != account.id,
        transfer: t,
        from_username,
        devices,
    })
}

/// A transfer the account sent or may accept; any other is not found (its id says nothing
/// to anyone else).
pub async fn get(state: &AppState, account: &Account, id: &str) -> AppResult<TransferView> {
    let t = state.store.transfer(id, state.now()).await?;
    let Some(t) = t else {
        return Err(not_found().into());
    };
    if t.from_account != account.id && t.to_email_key != email_key(&account.email) {
        return Err(not_for_you().into());
    }
    view_of(state, account, t).await
}

fn not_for_you() -> Problem {
    Problem::bad("cloud-transfer-not-for-you").status(StatusCode::FORBIDDEN)
}

/// Refuses a transfer that is no longer open, each state with its own message.
pub fn ensure_open(t: &Transfer) -> AppResult<()> {
    let key = match t.state {
        TransferState::Open => return Ok(()),
        TransferState::Accepted | TransferState::Declined => "cloud-transfer-closed",
        TransferState::Cancelled => "cloud-transfer-cancelled",
        TransferState::Expired => "cloud-transfer-expired",
    };
    Err(Problem::bad(key).status(StatusCode::CONFLICT).into())
}

/// The sender cancels its open transfer; nothing moves.
pub async fn cancel(state: &AppState, account: &Account, id: &str) -> AppResult<()> {
    let view = get(state, account, id).await?;
    if view.incoming {
        return Err(Problem::bad("cloud-transfer-not-sender")
            .status(StatusCode::FORBIDDEN)
            .into());
    }
    ensure_open(&view.transfer)?;
    // The address the offer went to is told it no longer stands (in its account's language,
    // else the sender's).
    let recipient = match Email::parse(&view.transfer.to_email) {
        Ok(e) => state.store.account_by_email(&e).await?,
        Err(_) => None,
    };
    let notice = MailKind::TransferCancelled {
        from: account.username.as_str().to_string(),
        devices: listed(&view),
    };
    let lang = recipient.as_ref().map_or(account.lang, |r| r.lang);
    let mail = notice.to_mail(&view.transfer.to_email, lang, 0);
    close(state, &view, TransferState::Cancelled, mail).await
}

/// The devices of a transfer for the mails.
fn listed(view: &TransferView) -> String {
    device_list((view.devices.iter()).map(|d| (d.serial.as_str(), d.name.as_deref())))
}

/// The recipient declines all the devices of a transfer; nothing moves.
pub async fn decline(state: &AppState, account: &Account, id: &str) -> AppResult<()> {
    let view = recipient_view(state, account, id).await?;
    let Some(sender) = state
        .store
        .account_by_id(view.transfer.from_account)
        .await?
    else {
        return Err(not_found().into());
    };
    let notice = MailKind::TransferDeclined {
        to: account.email.as_str().to_string(),
        devices: listed(&view),
    };
    let mail = notice.to_account(&sender);
    close(state, &view, TransferState::Declined, mail).await
}

async fn recipient_view(state: &AppState, account: &Account, id: &str) -> AppResult<TransferView> {
    let view = get(state, account, id).await?;
    if !view.incoming {
        return Err(not_for_you().into());
    }
    ensure_open(&view.transfer)?;
    Ok(view)
}

/// Closes the transfer as `to` (nothing moves) and queues `notice`, in one transaction.
async fn close(
    state: &AppState,
    view: &TransferView,
    to: TransferState,
    notice: crate::store::mail::NewMail,
) -> AppResult<()> {
    let now = state.now();
    let mut tx = state.store.db.pool.begin().await?;
    if !(state.store)
        .close_transfer(&mut tx, &view.transfer.id, to, now)
        .await?
    {
        // Closed or expired between the read and here: say which.
        let t = state.store.transfer(&view.transfer.id, now).await?;
        ensure_open(&t.ok_or_else(not_found)?)?;
        return Err(anyhow::anyhow!("the transfer could not be closed").into());
    }
    for d in &view.devices {
        (state.store)
            .set_transfer_outcome(&mut tx, &view.transfer.id, d.device_id, "declined")
            .await?;
    }
    state.store.queue_mail(&mut tx, &notice, now).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    tracing::info!(transfer = %view.transfer.id, state = to.as_str(), "transfer closed");
    Ok(())
}

/// The recipient accepts the devices `serials` of the transfer (all of them if `None`); the
/// others stay with the sender. Each accepted device that is still the sender's under the
/// binding it was offered with moves, with a new recovery key, and both accounts are told.
pub async fn accept(
    state: &AppState,
    account: &Account,
    id: &str,
    serials: Option<&[String]>,
) -> AppResult<Accepted> {
    let view = recipient_view(state, account, id).await?;
    let selected: BTreeSet<String> = match serials {
        None => view.devices.iter().map(|d| d.serial.clone()).collect(),
        Some(list) => {
            let list: BTreeSet<String> = list
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if list.is_empty() {
                return Err(Problem::bad("cloud-transfer-none-selected").into());
            }
            if let Some(s) = list
                .iter()
                .find(|s| !view.devices.iter().any(|d| &d.serial == *s))
            {
                return Err(Problem::bad("cloud-transfer-device-not-listed")
                    .arg("serial", s.clone())
                    .into());
            }
            list
        }
    };
    let Some(sender) = state
        .store
        .account_by_id(view.transfer.from_account)
        .await?
    else {
        return Err(not_found().into());
    };
    let mut devices = Vec::new();
    for d in &view.devices {
        let serial = rekey_proto::Serial::parse(&d.serial)
            .map_err(|_| anyhow::anyhow!("a stored serial does not parse"))?;
        let device = state.store.device_by_serial(&serial).await?;
        devices.push((
            d,
            device.ok_or_else(|| anyhow::anyhow!("a listed device vanished"))?,
        ));
    }
    let now = state.now();
    let mut done = Accepted::default();
    let mut moved_names = Vec::new();
    let mut tx = state.store.db.pool.begin().await?;
    // The listed devices are locked as an offer locks them (so the two never wait for each
    // other); closing next makes the acceptance happen once, even with a parallel one.
    (state.store)
        .lock_devices(&mut tx, devices.iter().map(|(_, d)| d.id))
        .await?;
    if !(state.store)
        .close_transfer(&mut tx, &view.transfer.id, TransferState::Accepted, now)
        .await?
    {
        let t = state.store.transfer(&view.transfer.id, now).await?;
        ensure_open(&t.ok_or_else(not_found)?)?;
        return Err(anyhow::anyhow!("the transfer could not be closed").into());
    }
    for (listed, device) in &devices {
        let outcome = if !selected.contains(&listed.serial) {
            done.declined.push(listed.serial.clone());
            "declined"
        } else if listed.key_epoch < u32::MAX
            && (state.store)
                .move_binding(
                    &mut tx,
                    device.id,
                    sender.id,
                    account.id,
                    listed.key_epoch,
                    now,
                )
                .await?
        {
            // As at any binding: a new key, so the former owner's codes stop working, and the
            // temporary passwords kept for the former owner on it are forgotten.
            add_key(
                state,
                &mut tx,
                device,
                listed.key_epoch + 1,
                KeyCause::Transferred,
            )
            .await?;
            state
                .store
                .forget_retrieved(&mut tx, sender.id, device.id)
                .await?;
            let name = device.name.as_deref();
            for (who, kind) in [
                (sender.id, DeviceEventKind::TransferredOut),
                (account.id, DeviceEventKind::TransferredIn),
            ] {
                (state.store)
                    .record_device_event(
                        &mut tx,
                        who,
                        kind,
                        device.serial.as_str(),
                        name,
                        listed.key_epoch,
                        now,
                    )
                    .await?;
            }
            done.moved.push(listed.serial.clone());
            moved_names.push((device.serial.as_str(), name));
            "accepted"
        } else {
            done.gone.push(listed.serial.clone());
            "gone"
        };
        (state.store)
            .set_transfer_outcome(&mut tx, &view.transfer.id, device.id, outcome)
            .await?;
    }
    if !done.moved.is_empty() {
        let list = device_list(moved_names.iter().copied());
        let to_sender = MailKind::TransferredNotice {
            to: account.email.as_str().to_string(),
            devices: list.clone(),
            when: sender.time_zone.format(now),
        };
        let to_recipient = MailKind::ReceivedNotice {
            from: sender.username.as_str().to_string(),
            devices: list,
            when: account.time_zone.format(now),
        };
        (state.store)
            .queue_mail(&mut tx, &to_sender.to_account(&sender), now)
            .await?;
        (state.store)
            .queue_mail(&mut tx, &to_recipient.to_account(account), now)
            .await?;
    }
    tx.commit().await?;
    state.mail_wake.notify_one();
    tracing::info!(
        transfer = %view.transfer.id,
        from = sender.id,
        to = account.id,
        moved = done.moved.len(),
        "transfer accepted"
    );
    // Each recorder that moved gets its new key over the gateway (now if it is connected).
    for (_, device) in &devices {
        if done.moved.iter().any(|s| s == device.serial.as_str()) {
            crate::gateway::announce(state, &device.serial).await;
        }
    }
    Ok(done)
}
