//! Devices: adding a recorder by register code (p.15–16) or registration QR (p.9–10), "My Cloud
//! Devices" (p.17), renaming and removing, and the recovery key that rotates on every binding.

use rekey_proto::gateway::KeyCause;
use rekey_proto::{RecoveryKey, RegisterCode, RegisterCodeError, Serial};
use rekey_web::random_array;

use crate::domain::DeviceName;
use crate::error::{AppResult, Problem};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::devices::Device;
use crate::store::throttle::REGISTER_TRIES_PER_ACCOUNT;
use rekey_web::limit::Key;

/// The keyed hash a register code is stored and looked up under.
pub fn register_code_hash(state: &AppState, code: &RegisterCode) -> String {
    state
        .store
        .lookup_hash(b"rekey/cloud/register-code\0", &[code.compact().as_bytes()])
}

/// Makes the device's next recovery key (sealed under the master key) for `cause` and returns
/// its epoch. The key goes live for code issuing once the recorder confirms it.
pub async fn rotate_recovery_key(
    state: &AppState,
    device: &Device,
    cause: KeyCause,
) -> anyhow::Result<u32> {
    let epoch = next_epoch(state, device).await?;
    let mut tx = state.store.db.pool.begin().await?;
    add_key(state, &mut tx, device, epoch, cause).await?;
    tx.commit().await?;
    Ok(epoch)
}

/// The epoch the device's next key gets (read before a transaction opens; a parallel rotation
/// to the same epoch fails on the primary key).
async fn next_epoch(state: &AppState, device: &Device) -> anyhow::Result<u32> {
    let newest = state.store.newest_recovery_key(device.id).await?;
    Ok(newest.map_or(1, |k| k.epoch + 1))
}

/// Stores a fresh random recovery key of `epoch`, sealed under the master key, inside `tx`;
/// `cause` goes to the recorder with it, for its audit log.
pub(super) async fn add_key(
    state: &AppState,
    tx: &mut sqlx::AnyConnection,
    device: &Device,
    epoch: u32,
    cause: KeyCause,
) -> anyhow::Result<()> {
    let key = RecoveryKey::from_bytes(random_array());
    let sealed = (state.master_key).seal(&device.serial, epoch, random_array(), &key);
    (state.store)
        .add_recovery_key(tx, device.id, epoch, &sealed, cause, state.now())
        .await?;
    Ok(())
}

/// Parses a register code as typed, or says what is wrong with it.
pub fn parse_register_code(input: &str) -> AppResult<RegisterCode> {
    RegisterCode::parse(input).map_err(|e| {
        Problem::bad(match e {
            RegisterCodeError::Mistyped => "cloud-register-code-mistyped",
            _ => "cloud-register-code-malformed",
        })
        .into()
    })
}

/// Parses a device name; an empty one becomes the serial.
pub fn parse_name(input: &str, serial: &Serial) -> AppResult<DeviceName> {
    if input.trim().is_empty() {
        return DeviceName::parse(serial.as_str())
            .map_err(|_| Problem::bad("cloud-device-name-invalid").into());
    }
    DeviceName::parse(input).map_err(|_| Problem::bad("cloud-device-name-invalid").into())
}

/// "+Add Device": binds the recorder whose register code this is to `account`.
pub async fn add(state: &AppState, account: &Account, code: &str, name: &str) -> AppResult<Device> {
    let code = parse_register_code(code)?;
    let now = state.now();
    // One of the account's wrong-code tries is reserved before the code is looked up (so a
    // parallel burst cannot try more); a code that names a device gives it back.
    let key = Key::refunded_on_success(
        format!("register:{}", account.id),
        REGISTER_TRIES_PER_ACCOUNT,
    );
    let slot = match state.store.reserve(vec![key], now).await? {
        Ok(slot) => slot,
        Err(refused) => return Err(Problem::wait("error-rate-limited", refused.retry_after).into()),
    };
    let found = state
        .store
        .device_by_register_code(&register_code_hash(state, &code))
        .await;
    let Some(device) = found? else {
        slot.failed();
        return Err(Problem::bad("cloud-register-code-unknown").into());
    };
    slot.succeeded(&state.store).await?;
    match device.account_id {
        Some(owner) if owner == account.id => {
            return Err(Problem::bad("cloud-device-already-yours").into());
        }
        Some(_) => {
            return Err(Problem::bad("cloud-device-taken")
                .status(axum::http::StatusCode::CONFLICT)
                .into());
        }
        None => {}
    }
    let name = parse_name(name, &device.serial)?;
    let epoch = next_epoch(state, &device).await?;
    let mut tx = state.store.db.pool.begin().await?;
    if !state
        .store
        .bind_device(&mut tx, device.id, account.id, name.as_str(), now)
        .await?
    {
        return Err(Problem::bad("cloud-device-taken")
            .status(axum::http::StatusCode::CONFLICT)
            .into());
    }
    // A new owner gets a new recovery key: codes made with a former owner's key stop working.
    add_key(state, &mut tx, &device, epoch, KeyCause::Bound).await?;
    tx.commit().await?;
    tracing::info!(serial = %device.serial, account_id = account.id, "device bound");
    crate::gateway::announce(state, &device.serial).await;
    let device = state
        .store
        .device_by_serial(&device.serial)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the bound device vanished"))?;
    Ok(device)
}

/// One of the account's devices, by serial.
pub async fn owned(state: &AppState, account: &Account, serial: &str) -> AppResult<Device> {
    let not_found =
        || Problem::bad("cloud-device-not-found").status(axum::http::StatusCode::NOT_FOUND);
    let serial = Serial::parse(serial).map_err(|_| not_found())?;
    match state.store.device_by_serial(&serial).await? {
        Some(d) if d.account_id == Some(account.id) => Ok(d),
        _ => Err(not_found().into()),
    }
}

/// Renames one of the account's devices.
pub async fn rename(
    state: &AppState,
    account: &Account,
    serial: &str,
    name: &str,
) -> AppResult<Device> {
    let device = owned(state, account, serial).await?;
    let name = parse_name(name, &device.serial)?;
    state
        .store
        .rename_device(account.id, &device.serial, name.as_str())
        .await?;
    owned(state, account, serial).await
}

/// Removes one of the account's devices: it is unbound and its register code forgotten in one
/// statement, and the recorder, if connected, is told and gets a new register code.
pub async fn remove(state: &AppState, account: &Account, serial: &str) -> AppResult<()> {
    let device = owned(state, account, serial).await?;
    if !state
        .store
        .unbind_device(account.id, &device.serial)
        .await?
    {
        let not_found = Problem::bad("cloud-device-not-found");
        return Err(not_found.status(axum::http::StatusCode::NOT_FOUND).into());
    }
    tracing::info!(serial = %device.serial, account_id = account.id, "device removed");
    crate::gateway::announce(state, &device.serial).await;
    Ok(())
}
