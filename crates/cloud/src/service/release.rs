//! Release from the recorder (docs/protocol.md §9, "Release"): the recorder's admin, logged in
//! on the recorder and having typed the admin password again, releases it from its account.
//! The recorder sends `release` on its own gateway connection (its device key authenticates
//! it); the cloud unbinds the device, rotates its recovery key (so the former account's codes
//! stop working and the recorder shows a new register code), records the release in the
//! account's activity and queues a notice to the account's address, in one transaction.

use rekey_proto::gateway::{KeyCause, ReleaseOutcome};

use super::devices::add_key;
use crate::mail::MailKind;
use crate::state::AppState;
use crate::store::device_events::DeviceEventKind;

/// Releases the device `device_id` from the binding whose recovery key is of `key_epoch`. A
/// release of a binding that is no longer the current one (its account removed the device, or
/// it was bound again since) changes nothing: a late or repeated `release` never unbinds a
/// later binding.
pub async fn release_from_recorder(
    state: &AppState,
    device_id: i64,
    serial: &rekey_proto::Serial,
    key_epoch: u32,
) -> anyhow::Result<ReleaseOutcome> {
    let Some(device) = state.store.device_by_serial(serial).await? else {
        anyhow::bail!("the releasing device vanished");
    };
    anyhow::ensure!(
        device.id == device_id,
        "the serial names another device row"
    );
    let Some(account_id) = device.account_id else {
        return Ok(ReleaseOutcome::NotBound);
    };
    let Some(account) = state.store.account_by_id(account_id).await? else {
        return Ok(ReleaseOutcome::NotBound);
    };
    // A binding rotates the key, so the binding's key is the device's newest one.
    let newest = state.store.newest_recovery_key(device.id).await?;
    if newest.map(|k| k.epoch) != Some(key_epoch) || key_epoch == u32::MAX {
        return Ok(ReleaseOutcome::NotBound);
    }
    let epoch = key_epoch + 1;
    let now = state.now();
    let mut tx = state.store.db.pool.begin().await?;
    // The same condition again, in the statement that unbinds: a concurrent binding, removal
    // or release between the reads above and here makes it change nothing.
    if !state
        .store
        .unbind_binding(&mut tx, device.id, account.id, key_epoch)
        .await?
    {
        return Ok(ReleaseOutcome::NotBound);
    }
    // The former account's codes stop working once the recorder holds the new key; the new
    // key belongs to no account until the next binding rotates it again.
    add_key(state, &mut tx, &device, epoch, KeyCause::Released).await?;
    let name = device.name.as_deref();
    (state.store)
        .record_device_event(
            &mut tx,
            account.id,
            DeviceEventKind::Released,
            device.serial.as_str(),
            name,
            key_epoch,
            now,
        )
        .await?;
    let notice = MailKind::ReleasedNotice {
        device: name.unwrap_or(device.serial.as_str()).to_string(),
        serial: device.serial.as_str().to_string(),
        when: account.time_zone.format(now),
    };
    (state.store)
        .queue_mail(&mut tx, &notice.to_account(&account), now)
        .await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    tracing::info!(serial = %device.serial, account_id = account.id, key_epoch, "device released by its recorder");
    Ok(ReleaseOutcome::Released)
}
