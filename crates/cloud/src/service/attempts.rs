//! The attempt limits of the account use cases, each reserved before the check it guards
//! ([`rekey_web::limit`]): code requests and typed codes per client address, and the
//! re-authentication of a logged-in account by its current password.

use rekey_web::limit::{Key, Reserved};

use super::{Client, verify_password};
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::codes::CodeError;
use crate::store::throttle::{
    CODES_PER_ADDRESS, REAUTH_PER_ACCOUNT, TRANSFER_OFFERS_PER_ACCOUNT, VERIFICATIONS_PER_ADDRESS,
};

/// Reserves one of the client address's code requests. The caller settles it: a request that
/// sent nothing (a cool-down refused it) gives the slot back.
pub(crate) async fn limit_codes(state: &AppState, client: Client) -> AppResult<Reserved> {
    let key = Key::counting_every_attempt(format!("codes-ip:{}", client.key()), CODES_PER_ADDRESS);
    match state.store.reserve(vec![key], state.now()).await? {
        Ok(slot) => Ok(slot),
        Err(refused) => Err(Problem::wait("error-rate-limited", refused.retry_after).into()),
    }
}

/// Settles a code request's slot: given back when nothing was sent because of a cool-down or a
/// failure on our side; kept otherwise (an answer such as "taken" is what the limit bounds).
pub(crate) async fn settle_code_request<T>(
    state: &AppState,
    slot: Reserved,
    result: AppResult<T>,
) -> AppResult<T> {
    let sent_nothing = match &result {
        Ok(_) => false,
        Err(AppError::Problem(p)) => p.key == CodeError::COOLDOWN_KEY,
        Err(AppError::Internal(_)) => true,
    };
    if sent_nothing {
        slot.refund(&state.store).await?;
    } else {
        slot.succeeded(&state.store).await?;
    }
    result
}

/// Bounds the typed codes (and the password hashing behind them) per client address.
pub(crate) async fn limit_verifications(state: &AppState, client: Client) -> AppResult<()> {
    let key = format!("verify-ip:{}", client.key());
    if let Some(wait) = state
        .store
        .take_slot(&key, VERIFICATIONS_PER_ADDRESS, state.now())
        .await?
    {
        return Err(Problem::wait("error-rate-limited", wait).into());
    }
    Ok(())
}

/// Reserves one of the account's hand-over offers of the day ([`TRANSFER_OFFERS_PER_ACCOUNT`]),
/// in one atomic statement, so that a parallel burst gets no more offers than the limit. The
/// caller settles it: every offer made counts, cancelled or not, since each one sent a mail; an
/// offer refused after the reservation sent none and gives its slot back.
pub(crate) async fn limit_transfer_offers(
    state: &AppState,
    account: &Account,
) -> AppResult<Reserved> {
    let key = Key::counting_every_attempt(
        format!("transfer-offers:{}", account.id),
        TRANSFER_OFFERS_PER_ACCOUNT,
    );
    match state.store.reserve(vec![key], state.now()).await? {
        Ok(slot) => Ok(slot),
        Err(refused) => Err(Problem::wait("error-rate-limited", refused.retry_after).into()),
    }
}

/// Checks the current password of a logged-in account (a re-authentication): one of the
/// account's [`REAUTH_PER_ACCOUNT`] tries is reserved before the hash is checked, so a stolen
/// session cannot guess the password, not even with a parallel burst.
pub(crate) async fn check_current_password(
    state: &AppState,
    account: &Account,
    typed: &str,
) -> AppResult<()> {
    let key = Key::cleared_on_success(format!("reauth:{}", account.id), REAUTH_PER_ACCOUNT);
    let slot = match state.store.reserve(vec![key], state.now()).await? {
        Ok(slot) => slot,
        Err(refused) => {
            return Err(Problem::wait("cloud-password-current-locked", refused.retry_after).into());
        }
    };
    let verified = verify_password(state, typed.to_string(), account.password_hash.clone()).await;
    let verified = match verified {
        Ok(v) => v,
        Err(e) => {
            // Nothing was checked (too busy): the try is given back.
            slot.refund(&state.store).await?;
            return Err(e);
        }
    };
    if verified {
        slot.succeeded(&state.store).await?;
        Ok(())
    } else {
        slot.failed();
        Err(Problem::bad("cloud-password-current-wrong").into())
    }
}
