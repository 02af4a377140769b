//! Accounts: sign-up in the PC order and the phone order, login, user information, and
//! "Forgot your cloud password?".

use rekey_proto::Email;
use rekey_web::Lang;
use rekey_web::password::{self, PasswordError};
use serde::{Deserialize, Serialize};

use super::attempts::{
    check_current_password, limit_codes, limit_verifications, settle_code_request,
};
use super::{Client, hash_password, verify_password};
use crate::domain::{EmailCode, Username};
use crate::error::{AppError, AppResult, Problem};
use crate::mail::MailKind;
use crate::state::AppState;
use crate::store::accounts::{Account, NewAccount, email_key};
use crate::store::codes::{AcceptedCode, CODE_TTL_SECS, Purpose};
use crate::store::throttle::{LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS};
use rekey_web::limit::Key;

/// The version of the service agreement new accounts accept (`/agreement` shows it).
pub const AGREEMENT_VERSION: &str = "2026-11";

/// A pending sign-up, kept with its e-mail code until the code is entered.
#[derive(Debug, Serialize, Deserialize)]
struct PendingSignup {
    region: String,
    /// PC order: chosen on the first page. Phone order: assigned at the end.
    username: Option<String>,
    /// PC order: hashed on the first page. Phone order: given at the end.
    password_hash: Option<String>,
}

/// Parses an e-mail address or says what is wrong.
pub fn parse_email(input: &str) -> AppResult<Email> {
    Email::parse(input.trim()).map_err(|_| Problem::bad("cloud-email-invalid").into())
}

/// Parses a user name or says what is wrong.
pub fn parse_username(input: &str) -> AppResult<Username> {
    Username::parse(input).map_err(|e| Problem::bad(e.message_key()).into())
}

/// Parses a typed e-mail code or says what is wrong.
pub fn parse_code(input: &str) -> AppResult<EmailCode> {
    EmailCode::parse(input).ok_or_else(|| Problem::bad("cloud-code-format").into())
}

fn password_problem(e: PasswordError) -> AppError {
    let p = Problem::bad(e.message_key())
        .arg("min", password::MIN_CHARS as i64)
        .arg("max", password::MAX_CHARS as i64);
    p.into()
}

fn check_region(state: &AppState, region: &str) -> AppResult<String> {
    let region = region.trim().to_ascii_lowercase();
    if state.config.regions.contains(&region) {
        Ok(region)
    } else {
        Err(Problem::bad("cloud-region-invalid").into())
    }
}

fn check_agreement(agreed: bool, version: Option<&str>) -> AppResult<()> {
    if !agreed || version.is_some_and(|v| v != AGREEMENT_VERSION) {
        return Err(Problem::bad("cloud-agreement-required").into());
    }
    Ok(())
}

/// Checks a code without using it up (a wrong try counts).
pub(crate) async fn check_code(
    state: &AppState,
    purpose: Purpose,
    email: &Email,
    code: &EmailCode,
) -> AppResult<AcceptedCode> {
    let key = email_key(email);
    Ok(state
        .store
        .check_email_code(purpose, &key, code, state.now())
        .await?)
}

/// Sends a code of `purpose` to `email` (queued with the code in one transaction).
pub(crate) async fn send_code(
    state: &AppState,
    purpose: Purpose,
    email: &Email,
    account_id: Option<i64>,
    payload: Option<&str>,
    lang: Lang,
) -> AppResult<()> {
    let now = state.now();
    let mut tx = state.store.db.pool.begin().await?;
    let code = state
        .store
        .issue_email_code(
            &mut tx,
            purpose,
            &email_key(email),
            account_id,
            payload,
            now,
        )
        .await?;
    let code = code.as_str().to_string();
    let kind = match purpose {
        Purpose::Signup => MailKind::SignupCode { code },
        Purpose::ChangeEmail => MailKind::ChangeEmailCode { code },
        Purpose::ResetPassword => MailKind::ResetPasswordCode { code },
        Purpose::Retrieve => MailKind::RetrieveCode { code },
        Purpose::DeleteAccount => MailKind::DeleteAccountCode { code },
    };
    state
        .store
        .queue_mail(
            &mut tx,
            &kind.to_mail(email.as_str(), lang, CODE_TTL_SECS / 60),
            now,
        )
        .await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    Ok(())
}

/// What the first page of the PC order asks (manual p.12–13).
#[derive(Debug, Clone)]
pub struct PcSignup<'a> {
    /// Chosen user name.
    pub username: &'a str,
    /// Password.
    pub password: &'a str,
    /// Its confirmation.
    pub confirm: &'a str,
    /// Region code.
    pub region: &'a str,
    /// E-mail address.
    pub email: &'a str,
}

/// PC order, "Acquire": checks everything, keeps the pending sign-up with a code and e-mails it.
pub async fn start_pc_signup(
    state: &AppState,
    client: Client,
    form: PcSignup<'_>,
    lang: Lang,
) -> AppResult<Email> {
    let username = parse_username(form.username)?;
    let email = parse_email(form.email)?;
    let region = check_region(state, form.region)?;
    password::check_new(
        form.password,
        form.confirm,
        &[username.as_str(), email.as_str()],
    )
    .map_err(password_problem)?;
    // Limited before saying whether a name or address is taken.
    let slot = limit_codes(state, client).await?;
    let sent = async {
        let (name_taken, email_taken) = state
            .store
            .account_exists(Some(&username), Some(&email))
            .await?;
        if name_taken {
            return Err(Problem::bad("cloud-username-taken").into());
        }
        if email_taken {
            return Err(Problem::bad("cloud-email-taken").into());
        }
        let pending = PendingSignup {
            region,
            username: Some(username.as_str().to_string()),
            password_hash: Some(hash_password(state, form.password.to_string()).await?),
        };
        let payload = serde_json::to_string(&pending).map_err(anyhow::Error::from)?;
        send_code(state, Purpose::Signup, &email, None, Some(&payload), lang).await
    }
    .await;
    settle_code_request(state, slot, sent).await?;
    Ok(email)
}

/// Phone order, steps 1–2 (p.5–6): region and e-mail; e-mails a code.
pub async fn start_phone_signup(
    state: &AppState,
    client: Client,
    region: &str,
    email: &str,
    lang: Lang,
) -> AppResult<Email> {
    let email = parse_email(email)?;
    let region = check_region(state, region)?;
    let slot = limit_codes(state, client).await?;
    let sent = async {
        if state.store.account_exists(None, Some(&email)).await?.1 {
            return Err(Problem::bad("cloud-email-taken").into());
        }
        let payload = serde_json::to_string(&PendingSignup {
            region,
            username: None,
            password_hash: None,
        })
        .map_err(anyhow::Error::from)?;
        send_code(state, Purpose::Signup, &email, None, Some(&payload), lang).await
    }
    .await;
    settle_code_request(state, slot, sent).await?;
    Ok(email)
}

/// Phone order, step 3 (p.6): checks the code without using it up (a wrong try counts).
pub async fn check_signup_code(
    state: &AppState,
    client: Client,
    email: &str,
    code: &str,
) -> AppResult<()> {
    let email = parse_email(email)?;
    let code = parse_code(code)?;
    limit_verifications(state, client).await?;
    check_code(state, Purpose::Signup, &email, &code).await?;
    Ok(())
}

/// The last step of either order: the code, the agreement and (phone order) the password.
#[derive(Debug, Clone)]
pub struct FinishSignup<'a> {
    /// E-mail address the code went to.
    pub email: &'a str,
    /// The code.
    pub code: &'a str,
    /// Phone order: password and confirmation.
    pub password: Option<(&'a str, &'a str)>,
    /// Whether the service agreement was ticked.
    pub agreed: bool,
    /// The agreement version the client showed (API), if known.
    pub agreement_version: Option<&'a str>,
}

/// Creates the account and logs it in; returns the account and a session token.
pub async fn finish_signup(
    state: &AppState,
    client: Client,
    form: FinishSignup<'_>,
    lang: Lang,
) -> AppResult<(Account, String)> {
    let email = parse_email(form.email)?;
    let code = parse_code(form.code)?;
    check_agreement(form.agreed, form.agreement_version)?;
    limit_verifications(state, client).await?;
    // Phone order: the password's rules first, then the code (no one makes the cloud hash a
    // password without one); the code is used up only with the new account.
    if let Some((pw, confirm)) = form.password {
        password::check_new(pw, confirm, &[email.as_str()]).map_err(password_problem)?;
    }
    let accepted = check_code(state, Purpose::Signup, &email, &code).await?;
    let phone_password = match form.password {
        Some((pw, _)) => Some(hash_password(state, pw.to_string()).await?),
        None => None,
    };
    let pending: PendingSignup = accepted
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| anyhow::anyhow!("a sign-up code without its pending sign-up"))?;
    let password_hash = match (phone_password, pending.password_hash) {
        (Some(h), _) | (None, Some(h)) => h,
        (None, None) => {
            return Err(Problem::bad("password-too-short")
                .arg("min", password::MIN_CHARS as i64)
                .into());
        }
    };
    let username = match pending.username.as_deref().map(Username::parse) {
        Some(Ok(u)) => u,
        _ => free_generated_username(state).await?,
    };
    let now = state.now();
    let mut tx = state.store.db.pool.begin().await?;
    state.store.mark_code_used(&mut tx, &accepted, now).await?;
    let new = NewAccount {
        username,
        email,
        password_hash,
        time_zone: state.config.region_time_zone(&pending.region),
        region: pending.region,
        lang,
        agreement_version: AGREEMENT_VERSION.to_string(),
    };
    let id = state.store.create_account(&mut tx, &new, now).await?;
    tx.commit().await?;
    tracing::info!(account_id = id, "account created");
    let account = state
        .store
        .account_by_id(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the new account vanished"))?;
    let token = state.store.create_session(id, now).await?;
    Ok((account, token))
}

async fn free_generated_username(state: &AppState) -> AppResult<Username> {
    for _ in 0..20 {
        let candidate = Username::generate();
        if !state.store.account_exists(Some(&candidate), None).await?.0 {
            return Ok(candidate);
        }
    }
    Err(anyhow::anyhow!("no free generated user name").into())
}

/// Login by user name or e-mail address (p.14). Attempts are limited per account (whichever of
/// its user name or e-mail address was typed; per typed name when no account has it) and per
/// client address, and reserved before the password is checked, so a parallel burst gets no more
/// checks than the limit. The answer is the same whether or not the account exists.
pub async fn login(
    state: &AppState,
    client: Client,
    login: &str,
    password: &str,
) -> AppResult<(Account, String)> {
    let now = state.now();
    let account = state.store.account_by_login(login).await?;
    let account_key = match &account {
        Some(a) => format!("login-account:{}", a.id),
        None => format!(
            "login:{}",
            state.store.lookup_hash(
                b"rekey/cloud/login\0",
                &[crate::store::accounts::login_key(login).as_bytes()]
            )
        ),
    };
    let keys = vec![
        Key::cleared_on_success(account_key, LOGIN_PER_ACCOUNT),
        Key::refunded_on_success(format!("login-ip:{}", client.key()), LOGIN_PER_ADDRESS),
    ];
    let slot = match state.store.reserve(keys, now).await? {
        Ok(slot) => slot,
        // Locked: the password is not even checked, whether or not the account exists.
        Err(refused) => return Err(Problem::wait("cloud-login-locked", refused.retry_after).into()),
    };
    let phc = account.as_ref().map_or_else(
        || password::dummy_hash().to_string(),
        |a| a.password_hash.clone(),
    );
    let ok = match verify_password(state, password.to_string(), phc).await {
        Ok(ok) => ok && account.is_some(),
        Err(e) => {
            // Nothing was checked (too busy): the attempt is given back.
            slot.refund(&state.store).await?;
            return Err(e);
        }
    };
    match account {
        Some(account) if ok => {
            slot.succeeded(&state.store).await?;
            let token = state.store.create_session(account.id, now).await?;
            Ok((account, token))
        }
        _ => {
            slot.failed();
            Err(Problem::bad("cloud-login-failed")
                .status(axum::http::StatusCode::UNAUTHORIZED)
                .into())
        }
    }
}

/// Changes the user name.
pub async fn change_username(
    state: &AppState,
    account: &Account,
    input: &str,
) -> AppResult<Username> {
    let username = parse_username(input)?;
    if username != account.username && state.store.account_exists(Some(&username), None).await?.0 {
        return Err(Problem::bad("cloud-username-taken").into());
    }
    state.store.set_username(account.id, &username).await?;
    Ok(username)
}

/// Changes the time zone the account's pages and mail show times in (an IANA name).
pub async fn change_time_zone(
    state: &AppState,
    account: &Account,
    input: &str,
) -> AppResult<rekey_web::TimeZone> {
    let zone = rekey_web::TimeZone::parse(input)
        .map_err(|_| AppError::from(Problem::bad("cloud-time-zone-unknown")))?;
    state.store.set_time_zone(account.id, &zone).await?;
    Ok(zone)
}

/// Sends a code to a new e-mail address (the change happens when it is entered). The current
/// password is required, so that a session left open somewhere cannot move the account to
/// another address (and then reset its password through it).
pub async fn start_email_change(
    state: &AppState,
    client: Client,
    account: &Account,
    input: &str,
    current_password: &str,
    lang: Lang,
) -> AppResult<Email> {
    let email = parse_email(input)?;
    if email_key(&email) == email_key(&account.email) {
        return Err(Problem::bad("cloud-email-same").into());
    }
    check_current_password(state, account, current_password).await?;
    let slot = limit_codes(state, client).await?;
    let sent = async {
        if state.store.account_exists(None, Some(&email)).await?.1 {
            return Err(Problem::bad("cloud-email-taken").into());
        }
        let id = Some(account.id);
        send_code(state, Purpose::ChangeEmail, &email, id, None, lang).await
    }
    .await;
    settle_code_request(state, slot, sent).await?;
    Ok(email)
}

/// Changes the e-mail address once its code is entered: the old address is told, and the
/// account's other sessions end.
pub async fn finish_email_change(
    state: &AppState,
    account: &Account,
    current_session: Option<&str>,
    email: &str,
    code: &str,
) -> AppResult<Email> {
    let email = parse_email(email)?;
    let code = parse_code(code)?;
    let now = state.now();
    let accepted = check_code(state, Purpose::ChangeEmail, &email, &code).await?;
    if accepted.account_id != Some(account.id) {
        return Err(Problem::bad("cloud-code-none").into());
    }
    let mut tx = state.store.db.pool.begin().await?;
    state.store.mark_code_used(&mut tx, &accepted, now).await?;
    state.store.set_email(&mut tx, account.id, &email).await?;
    (state.store)
        .delete_other_sessions(&mut tx, account.id, current_session)
        .await?;
    let notice = MailKind::EmailChanged {
        new_address: email.masked(),
    };
    let mail = notice.to_account(account);
    state.store.queue_mail(&mut tx, &mail, now).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    Ok(email)
}

/// Changes the password (the current one is required); ends the account's other sessions.
pub async fn change_password(
    state: &AppState,
    account: &Account,
    current_session: Option<&str>,
    current: &str,
    new: &str,
    confirm: &str,
) -> AppResult<()> {
    check_current_password(state, account, current).await?;
    password::check_new(
        new,
        confirm,
        &[account.username.as_str(), account.email.as_str()],
    )
    .map_err(password_problem)?;
    let hash = hash_password(state, new.to_string()).await?;
    let now = state.now();
    let mut tx = state.store.db.pool.begin().await?;
    state
        .store
        .set_password_hash(&mut tx, account.id, &hash)
        .await?;
    state
        .store
        .delete_other_sessions(&mut tx, account.id, current_session)
        .await?;
    state
        .store
        .queue_mail(&mut tx, &MailKind::PasswordChanged.to_account(account), now)
        .await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    Ok(())
}

/// "Forgot your cloud password?": e-mails a code if an account has this address. For an
/// address without an account a code is made too but sent nowhere, so that the answers, the
/// cool-down and the tries are the same either way and the page does not reveal who has an
/// account.
pub async fn start_password_reset(
    state: &AppState,
    client: Client,
    input: &str,
) -> AppResult<Email> {
    let email = parse_email(input)?;
    let slot = limit_codes(state, client).await?;
    let sent = async {
        match state.store.account_by_email(&email).await? {
            // To the address the account has, never to the one typed: the two are only alike.
            Some(account) => {
                let id = Some(account.id);
                let purpose = Purpose::ResetPassword;
                send_code(state, purpose, &account.email, id, None, account.lang).await
            }
            None => {
                let mut tx = state.store.db.pool.begin().await?;
                let key = email_key(&email);
                let now = state.now();
                (state.store)
                    .issue_email_code(&mut tx, Purpose::ResetPassword, &key, None, None, now)
                    .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }
    .await;
    settle_code_request(state, slot, sent).await?;
    Ok(email)
}

/// Sets a new password with the e-mailed code; ends every session of the account. The code is
/// checked first: nothing about the account is used before it is right.
pub async fn finish_password_reset(
    state: &AppState,
    client: Client,
    email: &str,
    code: &str,
    new: &str,
    confirm: &str,
) -> AppResult<()> {
    let email = parse_email(email)?;
    let code = parse_code(code)?;
    limit_verifications(state, client).await?;
    let accepted = check_code(state, Purpose::ResetPassword, &email, &code).await?;
    let account = match state.store.account_by_email(&email).await? {
        Some(a) if accepted.account_id == Some(a.id) => a,
        _ => return Err(Problem::bad("cloud-code-none").into()),
    };
    let identities = [account.username.as_str(), account.email.as_str()];
    password::check_new(new, confirm, &identities).map_err(password_problem)?;
    let hash = hash_password(state, new.to_string()).await?;
    let now = state.now();
    let mut tx = state.store.db.pool.begin().await?;
    state.store.mark_code_used(&mut tx, &accepted, now).await?;
    state
        .store
        .set_password_hash(&mut tx, account.id, &hash)
        .await?;
    state
        .store
        .delete_other_sessions(&mut tx, account.id, None)
        .await?;
    let notice = MailKind::PasswordChanged.to_account(&account);
    state.store.queue_mail(&mut tx, &notice, now).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    Ok(())
}
