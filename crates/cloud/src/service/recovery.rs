//! Temporary passwords: the phone path (the recorder's recovery QR, p.20–21) and the PC path
//! (Retrieve with valid dates, p.22–25). Codes are made with the device's live recovery key,
//! only for the account that owns the device, within per-device and per-account daily limits,
//! and every issue is recorded and announced to the account's address.

use rekey_proto::{Challenge, QrError, RecoveryKey, RecoveryQr, TemporaryPassword};
use rekey_web::Lang;
use rekey_web::limit::{Key, Reserved};
use serde::{Deserialize, Serialize};
use time::Date;

use super::Client;
use super::accounts::{parse_code, send_code};
use super::attempts::{limit_codes, settle_code_request};
use crate::domain::EmailCode;
use crate::error::{AppError, AppResult, Problem};
use crate::mail::MailKind;
use crate::state::AppState;
use crate::store::accounts::{Account, email_key};
use crate::store::codes::Purpose;
use crate::store::devices::Device;
use crate::store::issued::{IssueStoreError, Kind, NewIssue};
use crate::store::retrieved::NewKept;
use crate::store::throttle::Limit;

/// Temporary passwords per device per day.
pub const PER_DEVICE_PER_DAY: Limit = Limit::per_window(5, 24 * 3600);
/// Temporary passwords per account per day.
pub const PER_ACCOUNT_PER_DAY: Limit = Limit::per_window(10, 24 * 3600);
/// The longest "Valid Date" range the PC portal offers, in days (the protocol allows 8).
pub const MAX_SPAN_DAYS: i64 = 7;
/// How far ahead the first valid date may be, in days.
pub const MAX_START_AHEAD_DAYS: i64 = 7;

/// Where a request came from, as the activity page and the notice mail say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// The mobile page the recovery QR opens.
    Phone,
    /// The PC portal.
    Pc,
    /// The `rekey` client.
    App,
}

impl Path {
    fn as_str(self) -> &'static str {
        match self {
            Path::Phone => "phone",
            Path::Pc => "pc",
            Path::App => "app",
        }
    }
}

/// The catalog key naming a path.
pub fn path_label(path: &str) -> &'static str {
    match path {
        "phone" => "cloud-path-phone",
        "pc" => "cloud-path-pc",
        _ => "cloud-path-app",
    }
}

/// What the mobile recovery page shows before "Send".
#[derive(Debug, Clone)]
pub struct Preview {
    /// The device.
    pub device: Device,
    /// The delivery address, masked.
    pub email_masked: String,
    /// When the QR's challenge ends (Unix seconds).
    pub expires_at: i64,
}

fn refused() -> AppError {
    // The same answer for an unknown device and someone else's: it reveals nothing.
    Problem::bad("cloud-recover-not-yours")
        .status(axum::http::StatusCode::FORBIDDEN)
        .into()
}

async fn live_key(state: &AppState, device: &Device) -> AppResult<(RecoveryKey, u32)> {
    let Some(stored) = state.store.live_recovery_key(device.id).await? else {
        return Err(Problem::bad("cloud-recover-no-key")
            .status(axum::http::StatusCode::CONFLICT)
            .into());
    };
    let key = state
        .master_key
        .open(&device.serial, stored.epoch, &stored.sealed)
        .map_err(|_| anyhow::anyhow!("a stored recovery key does not open under the master key"))?;
    Ok((key, stored.epoch))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Reads and checks a scanned recovery QR for `account`. The QR's MAC is checked with the live
/// key, or with the key before it when the live one reached the recorder less than an hour ago
/// (a QR shown just before a new binding's key arrived); the code is always made with the live
/// key, which the recorder holds.
async fn check_qr(
    state: &AppState,
    account: &Account,
    url: &str,
) -> AppResult<(RecoveryQr, Device, RecoveryKey, u32)> {
    let qr = RecoveryQr::parse(url).map_err(|e| match e {
        QrError::UnknownVersion(_) => Problem::bad("cloud-qr-version"),
        _ => Problem::bad("cloud-recover-not-a-qr"),
    })?;
    let device = match state.store.device_by_serial(&qr.serial).await? {
        Some(d) if d.account_id == Some(account.id) => d,
        _ => return Err(refused()),
    };
    let (key, epoch) = live_key(state, &device).await?;
    let now = state.now();
    let mut checked = qr.verify(&key, now);
    if matches!(checked, Err(QrError::Forged)) && epoch > 1 {
        let live = state.store.live_recovery_key(device.id).await?;
        let recent = live
            .and_then(|k| k.confirmed_at)
            .is_some_and(|t| now - t < 3600);
        if recent && let Some(previous) = open_key(state, &device, epoch - 1).await? {
            checked = qr.verify(&previous, now);
        }
    }
    checked.map_err(|e| match e {
        QrError::Expired { .. } => Problem::bad("cloud-recover-qr-expired"),
        _ => Problem::bad("cloud-recover-qr-forged"),
    })?;
    let nonce = hex(&qr.challenge.nonce);
    if state.store.challenge_answered(device.id, &nonce).await? {
        return Err(Problem::bad("cloud-recover-qr-used").into());
    }
    Ok((qr, device, key, epoch))
}

/// The device's recovery key of `epoch`, if it was stored and confirmed.
async fn open_key(state: &AppState, device: &Device, epoch: u32) -> AppResult<Option<RecoveryKey>> {
    let Some(stored) = state.store.recovery_key_of(device.id, epoch).await? else {
        return Ok(None);
    };
    if stored.confirmed_at.is_none() {
        return Ok(None);
    }
    let key = (state.master_key)
        .open(&device.serial, epoch, &stored.sealed)
        .map_err(|_| anyhow::anyhow!("a stored recovery key does not open under the master key"))?;
    Ok(Some(key))
}

/// The mobile page's first view: which device, where the code will go.
pub async fn preview(state: &AppState, account: &Account, url: &str) -> AppResult<Preview> {
    let (qr, device, _, _) = check_qr(state, account, url).await?;
    Ok(Preview {
        device,
        email_masked: qr.challenge.email.masked(),
        expires_at: qr.challenge.expires_at,
    })
}

fn daily_keys(account: &Account, device: &Device) -> [(String, Limit, &'static str); 2] {
    [
        (
            format!("issue-device:{}", device.id),
            PER_DEVICE_PER_DAY,
            "cloud-recover-device-limit",
        ),
        (
            format!("issue-account:{}", account.id),
            PER_ACCOUNT_PER_DAY,
            "cloud-recover-account-limit",
        ),
    ]
}

/// Reserves one code of the device's and of the account's daily limits before a code is made
/// (atomic, so a parallel burst cannot issue more); refuses saying when the next is possible.
async fn reserve_daily(
    state: &AppState,
    account: &Account,
    device: &Device,
) -> AppResult<Reserved> {
    let now = state.now();
    let keys = daily_keys(account, device);
    let reserve = keys
        .iter()
        .map(|(key, limit, _)| Key::counting_every_attempt(key.clone(), *limit))
        .collect();
    match state.store.reserve(reserve, now).await? {
        Ok(slot) => Ok(slot),
        Err(refused) => {
            let (_, _, message) = keys[refused.key_index];
            let next = account.time_zone.format(now + refused.retry_after);
            Err(Problem::wait(message, refused.retry_after)
                .arg("next", next)
                .into())
        }
    }
}

/// Keeps the reserved daily slots when a code was issued, gives them back when none was.
async fn settle_daily<T>(state: &AppState, slot: Reserved, issued: AppResult<T>) -> AppResult<T> {
    match &issued {
        Ok(_) => slot.succeeded(&state.store).await?,
        Err(_) => slot.refund(&state.store).await?,
    }
    issued
}

fn issue_problem(e: IssueStoreError) -> AppError {
    match e {
        IssueStoreError::ChallengeUsed => Problem::bad("cloud-recover-qr-used").into(),
        IssueStoreError::SequenceWindow => Problem::bad("cloud-recover-sequence").into(),
        IssueStoreError::Store(s) => s.into(),
    }
}

fn device_name(device: &Device) -> String {
    device
        .name
        .clone()
        .unwrap_or_else(|| device.serial.as_str().to_string())
}

/// Queues the notice to the account's own address (inside `tx`).
async fn queue_notice(
    state: &AppState,
    tx: &mut sqlx::AnyConnection,
    account: &Account,
    device: &Device,
    path: Path,
    sent_to: &str,
) -> AppResult<()> {
    let lang = account.lang;
    let kind = MailKind::IssuedNotice {
        device: device_name(device),
        serial: device.serial.as_str().to_string(),
        when: account.time_zone.format(state.now()),
        path: lang.t(path_label(path.as_str())),
        sent_to: sent_to.to_string(),
    };
    state
        .store
        .queue_mail(
            tx,
            &kind.to_mail(account.email.as_str(), lang, 0),
            state.now(),
        )
        .await?;
    Ok(())
}

/// What "Send" reports.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Where the code went, masked.
    pub email_masked: String,
    /// Until when it can be used.
    pub valid_until: i64,
}

/// "Send": issues a challenge code and e-mails it to the address in the QR.
pub async fn send_challenge(
    state: &AppState,
    account: &Account,
    url: &str,
    path: Path,
    lang: Lang,
) -> AppResult<Sent> {
    let result = async {
        let (qr, device, key, epoch) = check_qr(state, account, url).await?;
        let slot = reserve_daily(state, account, &device).await?;
        let issued = issue_challenge(state, account, &qr, &device, (&key, epoch), path, lang).await;
        settle_daily(state, slot, issued).await
    }
    .await;
    counted(state, "challenge", result)
}

/// Counts an issued temporary password, or a refusal by its reason (metrics).
fn counted<T>(state: &AppState, kind: &'static str, result: AppResult<T>) -> AppResult<T> {
    match &result {
        Ok(_) => state.metrics.code_issued(kind),
        Err(AppError::Problem(p)) => state.metrics.code_refused(p.key),
        Err(AppError::Internal(_)) => {}
    }
    result
}

async fn issue_challenge(
    state: &AppState,
    account: &Account,
    qr: &RecoveryQr,
    device: &Device,
    (key, epoch): (&RecoveryKey, u32),
    path: Path,
    lang: Lang,
) -> AppResult<Sent> {
    let device = device.clone();
    let challenge: &Challenge = &qr.challenge;
    let now = state.now();
    let mut tx = state.store.db.pool.begin().await?;
    let seq = state
        .store
        .allocate_seq(&mut tx, device.id)
        .await
        .map_err(issue_problem)?;
    let code = TemporaryPassword::issue_challenge(key, &device.serial, seq, challenge)
        .map_err(|e| anyhow::anyhow!("cannot issue a challenge code: {e}"))?;
    let masked = challenge.email.masked();
    let issue = NewIssue {
        account_id: account.id,
        device_id: device.id,
        kind: Kind::Challenge,
        path: path.as_str(),
        seq,
        key_epoch: epoch,
        challenge_nonce: Some(hex(&challenge.nonce)),
        window: None,
        valid_until: Some(challenge.expires_at),
        sent_to: masked.clone(),
    };
    state
        .store
        .record_issue(&mut tx, &issue, now)
        .await
        .map_err(issue_problem)?;
    let mail = MailKind::ChallengeCode {
        password: code.to_string(),
        device: device_name(&device),
        until: account.time_zone.format(challenge.expires_at),
    };
    state
        .store
        .queue_mail(
            &mut tx,
            &mail.to_mail(challenge.email.as_str(), lang, 0),
            now,
        )
        .await?;
    queue_notice(state, &mut tx, account, &device, path, &masked).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    tracing::info!(serial = %device.serial, account_id = account.id, seq, "challenge temporary password issued");
    Ok(Sent {
        email_masked: masked,
        valid_until: challenge.expires_at,
    })
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(input: &str) -> AppResult<Date> {
    Date::parse(
        input.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Problem::bad("cloud-retrieve-date-invalid").into())
}

/// Today in the account's time zone: where the "Valid Date" range starts by default.
pub fn today(state: &AppState, account: &Account) -> Date {
    account.time_zone.date(state.now())
}

/// Checks a "Valid Date" range (the recorder's local dates, docs/protocol.md §7): from the day
/// before today in the account's time zone (a recorder west of the account) up to a week ahead,
/// at most [`MAX_SPAN_DAYS`] days long.
pub fn check_window(
    state: &AppState,
    account: &Account,
    from: &str,
    to: &str,
) -> AppResult<(Date, Date)> {
    let (from, to) = (parse_date(from)?, parse_date(to)?);
    let today = today(state, account);
    let ahead = (from - today).whole_days();
    if !(-1..=MAX_START_AHEAD_DAYS).contains(&ahead) {
        return Err(Problem::bad("cloud-retrieve-from-range")
            .arg("days", MAX_START_AHEAD_DAYS)
            .into());
    }
    let span = (to - from).whole_days() + 1;
    if span < 1 {
        return Err(Problem::bad("cloud-retrieve-reversed").into());
    }
    if span > MAX_SPAN_DAYS {
        return Err(Problem::bad("cloud-retrieve-too-long")
            .arg("days", MAX_SPAN_DAYS)
            .into());
    }
    Ok((from, to))
}

#[derive(Debug, Serialize, Deserialize)]
struct RetrieveRequest {
    serial: String,
    from: String,
    to: String,
}

async fn owned_with_key(state: &AppState, account: &Account, serial: &str) -> AppResult<Device> {
    let device = super::devices::owned(state, account, serial).await?;
    live_key(state, &device).await?;
    Ok(device)
}

/// "Acquire": e-mails a verification code to the account's address for this device and range.
pub async fn start_retrieve(
    state: &AppState,
    client: Client,
    account: &Account,
    serial: &str,
    from: &str,
    to: &str,
    lang: Lang,
) -> AppResult<()> {
    let device = owned_with_key(state, account, serial).await?;
    let (from, to) = check_window(state, account, from, to)?;
    let slot = limit_codes(state, client).await?;
    let payload = serde_json::to_string(&RetrieveRequest {
        serial: device.serial.as_str().to_string(),
        from: from.to_string(),
        to: to.to_string(),
    })
    .map_err(anyhow::Error::from)?;
    let id = Some(account.id);
    let sent = send_code(
        state,
        Purpose::Retrieve,
        &account.email,
        id,
        Some(&payload),
        lang,
    );
    settle_code_request(state, slot, sent.await).await
}

/// A retrieved temporary password.
#[derive(Debug, Clone)]
pub struct Retrieved {
    /// The code.
    pub password: TemporaryPassword,
    /// First valid date.
    pub from: Date,
    /// Last valid date.
    pub to: Date,
    /// The recorder has not confirmed the key of its newest binding yet: the code is made with
    /// the key it holds now and stops working when the new key reaches it.
    pub key_pending: bool,
    /// The id of the result page that shows it again while it is valid (the PC portal's
    /// Retrieve keeps it; the app's client shows it itself and nothing is kept).
    pub result_id: Option<String>,
}

/// "Retrieve": with the e-mailed code, issues a date-window temporary password.
pub async fn finish_retrieve(
    state: &AppState,
    account: &Account,
    serial: &str,
    from: &str,
    to: &str,
    code: &str,
    path: Path,
) -> AppResult<Retrieved> {
    let result = async {
        let device = owned_with_key(state, account, serial).await?;
        let (from, to) = check_window(state, account, from, to)?;
        let code = parse_code(code)?;
        let (key, epoch) = live_key(state, &device).await?;
        let slot = reserve_daily(state, account, &device).await?;
        let issued = issue_date_window(
            state,
            account,
            &device,
            (&key, epoch),
            (from, to),
            &code,
            path,
        );
        settle_daily(state, slot, issued.await).await
    }
    .await;
    counted(state, "date_window", result)
}

async fn issue_date_window(
    state: &AppState,
    account: &Account,
    device: &Device,
    (key, epoch): (&RecoveryKey, u32),
    (from, to): (Date, Date),
    code: &EmailCode,
    path: Path,
) -> AppResult<Retrieved> {
    let now = state.now();
    let accepted = state
        .store
        .check_email_code(Purpose::Retrieve, &email_key(&account.email), code, now)
        .await?;
    let asked: Option<RetrieveRequest> = accepted
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let same = asked.is_some_and(|r| {
        r.serial == device.serial.as_str() && r.from == from.to_string() && r.to == to.to_string()
    });
    if accepted.account_id != Some(account.id) || !same {
        // The code was sent for another device or other dates.
        return Err(Problem::bad("cloud-retrieve-code-mismatch").into());
    }
    let newest = state.store.newest_recovery_key(device.id).await?;
    let key_pending = newest.is_some_and(|k| k.epoch != epoch);
    let mut tx = state.store.db.pool.begin().await?;
    state.store.mark_code_used(&mut tx, &accepted, now).await?;
    let seq = state
        .store
        .allocate_seq(&mut tx, device.id)
        .await
        .map_err(issue_problem)?;
    let password = TemporaryPassword::issue_date_window(key, &device.serial, seq, from, to)
        .map_err(|e| anyhow::anyhow!("cannot issue a date-window code: {e}"))?;
    let shown_to = account.email.masked();
    let issue = NewIssue {
        account_id: account.id,
        device_id: device.id,
        kind: Kind::DateWindow,
        path: path.as_str(),
        seq,
        key_epoch: epoch,
        challenge_nonce: None,
        window: Some((from.to_string(), to.to_string())),
        valid_until: None,
        sent_to: shown_to.clone(),
    };
    state
        .store
        .record_issue(&mut tx, &issue, now)
        .await
        .map_err(issue_problem)?;
    let result_id = if path == Path::Pc {
        // The portal's result page shows it again while it is valid (reloading it must not
        // hide a password that still works).
        let id = rekey_web::random_token();
        let expires_at = super::retrieved::window_end(to);
        let (from, to) = (from.to_string(), to.to_string());
        let kept = NewKept {
            account_id: account.id,
            device_id: device.id,
            seq,
            from: &from,
            to: &to,
            key_pending,
            password: &rekey_web::Secret::new(password.to_string()),
            expires_at,
        };
        state.store.keep_retrieved(&mut tx, &id, &kept, now).await?;
        Some(id)
    } else {
        None
    };
    queue_notice(state, &mut tx, account, device, path, &shown_to).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    tracing::info!(serial = %device.serial, account_id = account.id, seq, "date-window temporary password issued");
    Ok(Retrieved {
        password,
        from,
        to,
        key_pending,
        result_id,
    })
}
