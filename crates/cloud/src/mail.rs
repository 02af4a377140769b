//! Sending e-mail: SMTP through lettre when an SMTP URL is configured, otherwise `.eml` files in
//! the outbox directory (read on the local-only outbox page). Mail is queued in the database
//! first, sealed (see [`crate::store::mail`]), and delivered by [`run_worker`], which retries
//! with back-off, so a message that cannot be sent now is not lost.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rekey_web::i18n::Arg;
use rekey_web::{Clock, Lang};
use tokio::sync::{Notify, watch};

use crate::config::Config;
use crate::store::Store;
use crate::store::mail::{Failed, NewMail, QueuedMail};

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files (mode 0600) in a directory (mode 0700).
    Outbox(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mailer::Smtp(_) => "Mailer::Smtp",
            Mailer::Outbox(_) => "Mailer::Outbox",
        })
    }
}

impl Mailer {
    /// The mailer the configuration asks for.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .context("invalid SMTP URL")?
                    .timeout(Some(Duration::from_secs(30)))
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            None => {
                let dir = config.outbox_dir();
                private_outbox(&dir)
                    .with_context(|| format!("cannot create outbox directory {}", dir.display()))?;
                Ok(Mailer::Outbox(dir))
            }
        }
    }

    /// Whether mail is written to the outbox instead of being sent.
    pub fn is_outbox(&self) -> bool {
        matches!(self, Mailer::Outbox(_))
    }

    async fn send(&self, message: Message) -> anyhow::Result<()> {
        match self {
            Mailer::Smtp(t) => t
                .send(message)
                .await
                .map(drop)
                .context("SMTP delivery failed"),
            Mailer::Outbox(dir) => write_outbox(dir, &message)
                .await
                .context("cannot write to the outbox"),
        }
    }
}

/// Makes the outbox directory private (0700), and its files (0600) if an earlier version left
/// them readable to others.
fn private_outbox(dir: &Path) -> std::io::Result<()> {
    rekey_web::files::own_private_dir(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            rekey_web::files::tighten(&entry.path())?;
        }
    }
    Ok(())
}

/// Writes `message` as a new `.eml` file in `dir`, readable only by the cloud's user.
async fn write_outbox(dir: &Path, message: &Message) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let name: String = rekey_web::random_array::<16>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(dir.join(format!("{name}.eml"))).await?;
    file.write_all(&message.formatted()).await?;
    file.flush().await
}

/// Builds the MIME message of a queued mail.
fn build_message(from: &Mailbox, mail: &QueuedMail) -> anyhow::Result<Message> {
    let to: Mailbox = mail.to_addr.parse().context("invalid recipient address")?;
    let body = Body::new_with_encoding(mail.body.clone(), ContentTransferEncoding::QuotedPrintable)
        .map_err(|_| anyhow::anyhow!("cannot encode the body"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&mail.subject)
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(body),
        )
        .context("cannot build the message")
}

/// Delivers queued mail whenever [`Notify`] is signalled and whenever a failed message is due
/// again, until `stop` turns true: then it ends after the message it is sending, if any, was
/// sent and recorded (the rest stays queued for the next start).
pub async fn run_worker(
    store: Store,
    mailer: Mailer,
    from: Mailbox,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        // One message per claim: a claim's lease covers one delivery, and the workers of
        // several nodes share the queue message by message.
        let now = clock.now();
        match store.claim_mail(now, 1).await {
            Ok(claimed) if claimed.mails.is_empty() => {}
            Ok(claimed) => {
                for mail in claimed.mails {
                    deliver(&store, &mailer, &from, clock.as_ref(), claimed.token, mail).await;
                }
                // More may be due at once.
                continue;
            }
            Err(e) => tracing::error!(error = %e, "cannot read the mail queue"),
        }
        // Sleep until woken or until the next retry is due (at most a minute).
        let wait = match store.next_mail_due().await {
            Ok(Some(due)) => (due - clock.now()).clamp(1, 60),
            _ => 60,
        };
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(wait as u64)) => {}
            r = stop.changed() => {
                if r.is_err() {
                    // The application that started the worker is gone.
                    return;
                }
            }
        }
    }
}

/// Sends one claimed message and records the outcome under the claim's `token`.
async fn deliver(
    store: &Store,
    mailer: &Mailer,
    from: &Mailbox,
    clock: &dyn Clock,
    token: i64,
    mail: QueuedMail,
) {
    let result = match build_message(from, &mail) {
        Ok(m) => mailer.send(m).await,
        Err(e) => Err(e),
    };
    let now = clock.now();
    let recorded = match result {
        Ok(()) => {
            let outcome = if mailer.is_outbox() {
                "mail written to the outbox"
            } else {
                "mail delivered"
            };
            tracing::info!(mail_id = mail.id, "{outcome}");
            store
                .mail_sent(mail.id, token, now, mailer.is_outbox())
                .await
                .map(|held| held.then_some(()))
        }
        Err(e) => {
            // The transport's error only: it never holds the message.
            let error = format!("{e:#}");
            match store
                .mail_failed(mail.id, token, mail.attempts, &error, now)
                .await
            {
                Ok(Failed::RetryAt(at)) => {
                    tracing::warn!(
                        mail_id = mail.id,
                        attempts = mail.attempts + 1,
                        retry_in_secs = at - now,
                        error,
                        "mail delivery failed; will retry"
                    );
                    Ok(Some(()))
                }
                Ok(Failed::Dead) => {
                    tracing::error!(
                        mail_id = mail.id,
                        attempts = mail.attempts + 1,
                        error,
                        "mail delivery failed too often: given up (a dead letter)"
                    );
                    Ok(Some(()))
                }
                Ok(Failed::NotHeld) => Ok(None),
                Err(e) => Err(e),
            }
        }
    };
    match recorded {
        Ok(Some(())) => {}
        Ok(None) => tracing::warn!(
            mail_id = mail.id,
            "a mail's claim ran out while it was being sent; another worker has it now"
        ),
        Err(e) => tracing::error!(error = %e, "cannot record a mail delivery"),
    }
}

/// The kinds of e-mail the cloud sends.
#[derive(Debug, Clone)]
pub enum MailKind {
    /// A sign-up verification code.
    SignupCode {
        /// The code.
        code: String,
    },
    /// A code that confirms a new e-mail address.
    ChangeEmailCode {
        /// The code.
        code: String,
    },
    /// A code for "Forgot your cloud password?".
    ResetPasswordCode {
        /// The code.
        code: String,
    },
    /// A notice that the account's password changed.
    PasswordChanged,
    /// A notice to the former address that the account's e-mail address changed.
    EmailChanged {
        /// The new address, masked.
        new_address: String,
    },
    /// A code that confirms retrieving a temporary password on the PC portal.
    RetrieveCode {
        /// The code.
        code: String,
    },
    /// A challenge temporary password, to the address in the recovery QR.
    ChallengeCode {
        /// The temporary password, grouped.
        password: String,
        /// The device's name.
        device: String,
        /// Until when it can be used (the challenge's end).
        until: String,
    },
    /// A notice to the account's address that a temporary password was issued.
    IssuedNotice {
        /// The device's name.
        device: String,
        /// Its serial number.
        serial: String,
        /// When.
        when: String,
        /// How (phone, PC, app), in words.
        path: String,
        /// Where it went (masked).
        sent_to: String,
    },
    /// A notice to the former account's address that a recorder's admin released the
    /// recorder from the account.
    ReleasedNotice {
        /// The name the account had given it.
        device: String,
        /// Its serial number.
        serial: String,
        /// When.
        when: String,
    },
    /// An offer of devices to the recipient's address (docs/protocol.md §9, "Transfer").
    TransferOffered {
        /// The sending account's user name.
        from: String,
        /// The devices offered, by name and serial.
        devices: String,
        /// Until when it can be accepted.
        until: String,
        /// Where to see and accept it.
        link: String,
    },
    /// A notice to the sender that devices moved to the recipient.
    TransferredNotice {
        /// The recipient's address.
        to: String,
        /// The devices that moved.
        devices: String,
        /// When.
        when: String,
    },
    /// A notice to the sender that the recipient declined its offer.
    TransferDeclined {
        /// The recipient's address.
        to: String,
        /// The devices offered.
        devices: String,
    },
    /// A notice to the offer's address that the sender cancelled it.
    TransferCancelled {
        /// The sending account's user name.
        from: String,
        /// The devices offered.
        devices: String,
    },
    /// A notice to the recipient that devices are now in its account.
    ReceivedNotice {
        /// The sending account's user name.
        from: String,
        /// The devices that moved.
        devices: String,
        /// When.
        when: String,
    },
    /// A code that confirms deleting the account.
    DeleteAccountCode {
        /// The code.
        code: String,
    },
    /// A notice to the deleted account's address: what was released, and when the data goes.
    AccountDeleted {
        /// When.
        when: String,
        /// The recorders released, one line each (`name (serial)`), or a line saying none.
        devices: String,
        /// Days until the account's data is deleted.
        days: i64,
    },
}

impl MailKind {
    /// The closing line: a mail with a code its reader may not have asked for says it can be
    /// ignored; a notice of something done to the account does not, so that it gives one
    /// instruction only (its own, for when it was not the reader).
    fn footer(&self) -> &'static str {
        match self {
            MailKind::SignupCode { .. }
            | MailKind::ChangeEmailCode { .. }
            | MailKind::ResetPasswordCode { .. }
            | MailKind::RetrieveCode { .. }
            | MailKind::ChallengeCode { .. }
            | MailKind::DeleteAccountCode { .. } => "mail-footer-code",
            MailKind::PasswordChanged
            | MailKind::EmailChanged { .. }
            | MailKind::IssuedNotice { .. }
            | MailKind::ReleasedNotice { .. }
            | MailKind::TransferredNotice { .. }
            | MailKind::ReceivedNotice { .. }
            | MailKind::TransferDeclined { .. }
            | MailKind::AccountDeleted { .. } => "mail-footer-notice",
            MailKind::TransferOffered { .. } | MailKind::TransferCancelled { .. } => {
                "mail-footer-offer"
            }
        }
    }

    /// Subject and body in `lang`.
    pub fn render(&self, lang: Lang, minutes: i64) -> (String, String) {
        let (prefix, args): (&str, Vec<(&'static str, Arg)>) = match self {
            MailKind::SignupCode { code } => (
                "mail-signup",
                vec![("code", code.clone().into()), ("minutes", minutes.into())],
            ),
            MailKind::ChangeEmailCode { code } => (
                "mail-change-email",
                vec![("code", code.clone().into()), ("minutes", minutes.into())],
            ),
            MailKind::ResetPasswordCode { code } => (
                "mail-reset-password",
                vec![("code", code.clone().into()), ("minutes", minutes.into())],
            ),
            MailKind::PasswordChanged => ("mail-password-changed", vec![]),
            MailKind::EmailChanged { new_address } => (
                "mail-email-changed",
                vec![("address", new_address.clone().into())],
            ),
            MailKind::RetrieveCode { code } => (
                "mail-retrieve",
                vec![("code", code.clone().into()), ("minutes", minutes.into())],
            ),
            MailKind::DeleteAccountCode { code } => (
                "mail-delete-account",
                vec![("code", code.clone().into()), ("minutes", minutes.into())],
            ),
            MailKind::AccountDeleted {
                when,
                devices,
                days,
            } => (
                "mail-account-deleted",
                vec![
                    ("when", when.clone().into()),
                    ("devices", devices.clone().into()),
                    ("days", (*days).into()),
                ],
            ),
            MailKind::ChallengeCode {
                password,
                device,
                until,
            } => (
                "mail-challenge",
                vec![
                    ("password", password.clone().into()),
                    ("device", device.clone().into()),
                    ("until", until.clone().into()),
                ],
            ),
            MailKind::IssuedNotice {
                device,
                serial,
                when,
                path,
                sent_to,
            } => (
                "mail-issued",
                vec![
                    ("device", device.clone().into()),
                    ("serial", serial.clone().into()),
                    ("when", when.clone().into()),
                    ("path", path.clone().into()),
                    ("sent_to", sent_to.clone().into()),
                ],
            ),
            MailKind::ReleasedNotice {
                device,
                serial,
                when,
            } => (
                "mail-released",
                vec![
                    ("device", device.clone().into()),
                    ("serial", serial.clone().into()),
                    ("when", when.clone().into()),
                ],
            ),
            MailKind::TransferOffered {
                from,
                devices,
                until,
                link,
            } => (
                "mail-transfer-offer",
                vec![
                    ("from", from.clone().into()),
                    ("devices", devices.clone().into()),
                    ("until", until.clone().into()),
                    ("link", link.clone().into()),
                ],
            ),
            MailKind::TransferredNotice { to, devices, when } => (
                "mail-transferred",
                vec![
                    ("to", to.clone().into()),
                    ("devices", devices.clone().into()),
                    ("when", when.clone().into()),
                ],
            ),
            MailKind::TransferDeclined { to, devices } => (
                "mail-transfer-declined",
                vec![
                    ("to", to.clone().into()),
                    ("devices", devices.clone().into()),
                ],
            ),
            MailKind::TransferCancelled { from, devices } => (
                "mail-transfer-cancelled",
                vec![
                    ("from", from.clone().into()),
                    ("devices", devices.clone().into()),
                ],
            ),
            MailKind::ReceivedNotice {
                from,
                devices,
                when,
            } => (
                "mail-received",
                vec![
                    ("from", from.clone().into()),
                    ("devices", devices.clone().into()),
                    ("when", when.clone().into()),
                ],
            ),
        };
        let subject = lang.t_args(&format!("{prefix}-subject"), &args);
        let body = format!(
            "{}\n\n{}\n",
            lang.t_args(&format!("{prefix}-body"), &args),
            lang.t(self.footer())
        );
        (strip_isolates(&subject), strip_isolates(&body))
    }

    /// The queue entry for `to` in `lang`.
    pub fn to_mail(&self, to: &str, lang: Lang, minutes: i64) -> NewMail {
        let (subject, body) = self.render(lang, minutes);
        NewMail {
            to: to.to_string(),
            subject,
            body,
        }
    }

    /// This notice (it holds no code) to `account`'s address, in the account's language.
    pub fn to_account(&self, account: &crate::store::accounts::Account) -> NewMail {
        self.to_mail(account.email.as_str(), account.lang, 0)
    }
}

/// Removes the Unicode bidi isolation marks Fluent puts around arguments; plain-text mail
/// does not need them and they would confuse copy and paste of codes.
pub fn strip_isolates(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\u{2068}' | '\u{2069}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Vec<MailKind> {
        let code = || "123456".to_string();
        vec![
            MailKind::SignupCode { code: code() },
            MailKind::ChangeEmailCode { code: code() },
            MailKind::ResetPasswordCode { code: code() },
            MailKind::RetrieveCode { code: code() },
            MailKind::ChallengeCode {
                password: "ABCD-EFGH-JKLM-NPQR".into(),
                device: "Lobby".into(),
                until: "18:00".into(),
            },
            MailKind::PasswordChanged,
            MailKind::EmailChanged {
                new_address: "h***@example.jp".into(),
            },
            MailKind::IssuedNotice {
                device: "Lobby".into(),
                serial: "NVR0001".into(),
                when: "17:52".into(),
                path: "phone".into(),
                sent_to: "a***@example.jp".into(),
            },
            MailKind::ReleasedNotice {
                device: "Lobby".into(),
                serial: "NVR0001".into(),
                when: "17:52".into(),
            },
            MailKind::TransferredNotice {
                to: "kaito@example.jp".into(),
                devices: "Lobby (NVR0001)".into(),
                when: "17:52".into(),
            },
            MailKind::ReceivedNotice {
                from: "hana".into(),
                devices: "Lobby (NVR0001)".into(),
                when: "17:52".into(),
            },
            MailKind::TransferDeclined {
                to: "kaito@example.jp".into(),
                devices: "Lobby (NVR0001)".into(),
            },
            MailKind::DeleteAccountCode { code: code() },
            MailKind::AccountDeleted {
                when: "17:52".into(),
                devices: "Lobby (NVR0001)".into(),
                days: 30,
            },
        ]
    }

    /// A notice gives one instruction (what to do if it was not the reader), never also "ignore
    /// this e-mail"; a code mail says it can be ignored. In both languages.
    #[test]
    fn notices_do_not_tell_the_reader_to_ignore_them() {
        for lang in [Lang::En, Lang::Ja] {
            let ignore = lang.t("mail-footer-code");
            for kind in kinds() {
                let (_, body) = kind.render(lang, 10);
                let notice = matches!(
                    kind,
                    MailKind::PasswordChanged
                        | MailKind::EmailChanged { .. }
                        | MailKind::IssuedNotice { .. }
                        | MailKind::ReleasedNotice { .. }
                        | MailKind::TransferredNotice { .. }
                        | MailKind::ReceivedNotice { .. }
                        | MailKind::TransferDeclined { .. }
                        | MailKind::AccountDeleted { .. }
                );
                assert_eq!(
                    body.contains(&strip_isolates(&ignore)),
                    !notice,
                    "{lang:?} {kind:?}: {body}"
                );
            }
        }
    }
}
