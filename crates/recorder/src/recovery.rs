//! The "Forgot password?" flow and the "Password recovery" screen's logic: making challenges,
//! checking temporary passwords offline (`docs/protocol.md` §6–8), the guessing limit, and the
//! one atomic state change that accepts a code.

use rekey_proto::{Challenge, CodeError, Email, RecoveryQr, TemporaryPassword, VerifyContext};
use rekey_web::password::{self, PasswordError};
use rekey_web::random_array;

use crate::audit::Event;
use crate::startup::App;
use crate::store::{ADMIN_USER, Refused, StoreError};

/// What became of a submitted security code.
#[derive(Debug)]
pub enum Submitted {
    /// Accepted: the admin password is the new one and every session ended.
    Accepted,
    /// The screen is locked until this Unix time; nothing was checked.
    Locked {
        /// End of the lock.
        until: i64,
    },
    /// The recorder holds no recovery key (it never connected to the cloud).
    NoRecoveryKey,
    /// The recorder is not activated (there is no admin).
    NotActivated,
    /// The new password breaks the policy; the code was not checked.
    Password(PasswordError),
    /// The code was refused. `locked_until` is set when this failure started a lock.
    Refused {
        /// Why.
        error: CodeError,
        /// The lock this failure started, if any.
        locked_until: Option<i64>,
    },
}

/// Makes a fresh challenge for `email`, which becomes the pending one, unless a request limit
/// refuses it. The former pending one stays valid until its own expiry (`docs/protocol.md` §8).
pub async fn request(
    app: &App,
    email: Email,
    client: Option<String>,
) -> Result<Result<Challenge, Refused>, StoreError> {
    let now = app.config.clock.now();
    let challenge = Challenge {
        nonce: random_array(),
        expires_at: now + app.config.limits.challenge_lifetime_secs,
        email,
    };
    let made = app
        .store
        .request_challenge(
            &challenge,
            app.config.limits.forgot,
            &Event::RecoveryRequested
                .entry(now)
                .user(ADMIN_USER)
                .client(client),
        )
        .await?;
    Ok(made.map(|()| challenge))
}

/// The recovery QR's URL for the pending challenge, if there is a live one and a recovery key.
pub async fn pending_qr_url(app: &App) -> Result<Option<(String, Challenge)>, StoreError> {
    let cloud = app.store.cloud_state().await?;
    let Some((_, key)) = cloud.binding_key() else {
        return Ok(None);
    };
    let pending = app.store.challenges().await?.pending;
    let now = app.config.clock.now();
    Ok(pending.filter(|c| c.expires_at >= now).map(|c| {
        let qr = RecoveryQr::new(key, app.identity.serial.clone(), c.clone());
        (qr.to_url(&app.config.cloud_base), c)
    }))
}

/// The reason code of a refusal, as written to the audit log.
pub fn reason_code(e: &CodeError) -> &'static str {
    match e {
        CodeError::Malformed(_) => "malformed",
        // The audit log's word since its first version (a mistyped code gets it too).
        CodeError::NotForThisDevice => "for-another-device",
        CodeError::Wrong => "wrong",
        CodeError::AlreadyUsed => "already-used",
        CodeError::NotYetValid { .. } => "not-yet-valid",
        CodeError::Expired { .. } => "expired",
        CodeError::ChallengeExpired { .. } => "challenge-expired",
        CodeError::ChallengeReplaced => "challenge-replaced",
    }
}

/// Checks a typed security code and, if it is good, sets the new admin password.
pub async fn submit(
    app: &App,
    code: &str,
    new_password: &str,
    confirm: &str,
    client: Option<String>,
) -> Result<Submitted, StoreError> {
    let _one_at_a_time = app.recovery_gate.lock().await;
    let now = app.config.clock.now();
    let lock = app.store.recovery_lock().await?;
    if lock.locked_until > now {
        return Ok(Submitted::Locked {
            until: lock.locked_until,
        });
    }
    let Some(admin) = app.store.admin().await? else {
        return Ok(Submitted::NotActivated);
    };
    let cloud = app.store.cloud_state().await?;
    let Some((_, key)) = cloud.binding_key() else {
        return Ok(Submitted::NoRecoveryKey);
    };
    // A mistyped code costs no attempt: it never reaches the MAC.
    let typed = match TemporaryPassword::parse(code) {
        Ok(t) => t,
        Err(error) => {
            return Ok(Submitted::Refused {
                error,
                locked_until: None,
            });
        }
    };
    let email = admin.email.as_ref().map(Email::as_str).unwrap_or("");
    if let Err(e) = password::check_new(new_password, confirm, &[ADMIN_USER, email]) {
        return Ok(Submitted::Password(e));
    }
    let challenges = app.store.challenges().await?;
    let earlier: Vec<Challenge> = challenges
        .replaced
        .iter()
        .chain(&challenges.used)
        .cloned()
        .collect();
    let ctx = VerifyContext {
        serial: &app.identity.serial,
        key,
        last_used_seq: cloud.last_used_seq,
        today: app.config.time_zone.date(now),
        now,
        challenge: challenges.pending.as_ref(),
        earlier_challenges: &earlier,
    };
    let outcome = match typed.verify(&ctx) {
        // A code for a replaced challenge: that challenge is still valid until its own expiry
        // (a stranger's "Forgot password?" must not spoil the owner's code). Checked as if it
        // were the pending one, so it is accepted, or refused as expired or used.
        Err(CodeError::ChallengeReplaced) => challenges
            .replaced
            .iter()
            .map(|c| {
                typed.verify(&VerifyContext {
                    challenge: Some(c),
                    earlier_challenges: &[],
                    ..ctx
                })
            })
            .find(|r| !matches!(r, Err(CodeError::Wrong)))
            .unwrap_or(Err(CodeError::ChallengeReplaced)),
        other => other,
    };
    let refused = match outcome {
        Ok(accepted) => {
            // Bounded to the cores; when too busy the code is not used up and can be tried again.
            let hash = (app.hasher)
                .hash(new_password.to_owned())
                .await
                .map_err(|_| StoreError::Corrupt("password hashing busy or failed"))?;
            let entry = Event::RecoverySucceeded
                .entry(now)
                .user(ADMIN_USER)
                .client(client.clone())
                .detail(match accepted.validity {
                    rekey_proto::Validity::Challenge => "challenge-code",
                    rekey_proto::Validity::DateWindow { .. } => "date-window-code",
                });
            if app
                .store
                .accept_recovery(cloud.last_used_seq, accepted.seq, &hash, &entry)
                .await?
            {
                tracing::info!("admin password reset with a temporary password");
                return Ok(Submitted::Accepted);
            }
            CodeError::AlreadyUsed
        }
        Err(e) => e,
    };
    let entry = Event::RecoveryFailed
        .entry(now)
        .user(ADMIN_USER)
        .client(client)
        .detail(reason_code(&refused));
    let state = app
        .store
        .record_recovery_failure(
            app.config.limits.recovery_max_failures,
            app.config.limits.recovery_first_lock_secs,
            &entry,
        )
        .await?;
    Ok(Submitted::Refused {
        error: refused,
        locked_until: (state.locked_until > now).then_some(state.locked_until),
    })
}
