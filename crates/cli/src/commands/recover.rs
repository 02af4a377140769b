//! Issue 4, getting a temporary password: `rekey recover` (from the recorder's recovery QR code,
//! e-mailed) and `rekey retrieve` (for a window of dates, shown here).

use rekey_proto::{MAX_WINDOW_DAYS, RecoveryQr, TemporaryPassword};
use serde_json::json;
use time::Date;
use time::macros::format_description;

use super::devices::{resolve, warn_other_cloud};
use super::{Ctx, with_code_retries};
use crate::UsageError;
use crate::cli::{RecoverArgs, RetrieveArgs};
use crate::output::{clean_line, duration, fields, time_in};
use crate::qr::{Scanned, scan_file};

/// The recovery QR code's text from `--qr` (decoded here) or `--qr-url`.
fn recovery_qr_text(args: &RecoverArgs) -> anyhow::Result<(String, RecoveryQr)> {
    let text = match (&args.qr, &args.qr_url) {
        (Some(path), _) => scan_file(path)?.0,
        (None, Some(text)) => text.trim().to_string(),
        (None, None) => return Err(UsageError("give --qr or --qr-url".into()).into()),
    };
    match Scanned::parse(&text) {
        Ok(Scanned::Recovery(qr)) => Ok((text, qr)),
        Ok(Scanned::Registration(_)) => Err(UsageError(
            "this is the QR code of the recorder's \"Network › Cloud\" page, for registering it; \
             a temporary password needs the QR code of its \"Password recovery\" screen (use \
             `rekey devices add --qr PHOTO` to register it)"
                .into(),
        )
        .into()),
        Err(e) => Err(UsageError(format!("this QR code cannot be used: {e}")).into()),
    }
}

/// Reads the recovery QR code, shows what it is for, and after confirmation has the cloud e-mail
/// the temporary password.
pub async fn recover(ctx: &Ctx, args: RecoverArgs) -> anyhow::Result<()> {
    let (text, qr) = recovery_qr_text(&args)?;
    let client = ctx.optional_session_client()?;
    warn_other_cloud(&text, rekey_proto::RECOVERY_PATH, client.cloud());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if qr.challenge.expires_at < now {
        eprintln!(
            "note: by this computer's clock this QR code expired; if the cloud refuses it, make a \
             new one on the recorder"
        );
    }
    let preview = ctx
        .wait("Checking the QR code…", client.recover_preview(&text))
        .await?;
    let zone = client.time_zone().await;
    let summary = fields(&[
        (
            "Recorder",
            format!("{} ({})", preview.device_name, preview.serial),
        ),
        ("Send to", preview.email_masked.clone()),
        ("QR code valid until", time_in(&preview.expires_at, &zone)),
    ]);
    if !args.yes {
        ctx.prompt.require("a confirmation", "--yes")?;
        eprint!("{summary}");
        let ok = ctx.prompt.confirm(
            &format!(
                "E-mail a temporary password for this recorder to {}?",
                clean_line(&preview.email_masked)
            ),
            "--yes",
        )?;
        if !ok {
            anyhow::bail!("cancelled; nothing was sent");
        }
    }
    let sent = ctx
        .wait(
            "Sending the temporary password…",
            client.recover_send(&text),
        )
        .await?;
    let human = format!(
        "{}\nThe temporary password was e-mailed to {}; it works until {}.\nEnter it as the \
         security code on the recorder's \"Password recovery\" screen, then set a new admin \
         password at once.",
        if args.yes { summary.as_str() } else { "" },
        clean_line(&sent.email_masked),
        time_in(&sent.valid_until, &zone),
    );
    ctx.out.print(
        human.trim_start(),
        &json!({
            "serial": preview.serial,
            "device_name": preview.device_name,
            "email_masked": sent.email_masked,
            "qr_expires_at": preview.expires_at,
            "valid_until": sent.valid_until,
        }),
    );
    Ok(())
}

/// A `YYYY-MM-DD` date given on the command line.
pub fn parse_date(flag: &str, text: &str) -> Result<Date, UsageError> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).map_err(|_| {
        UsageError(format!(
            "{flag} {text:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-02"
        ))
    })
}

/// Checks a window of valid dates: in order and at most [`MAX_WINDOW_DAYS`] days long.
pub fn check_window(from: Date, to: Date) -> Result<(), UsageError> {
    if to < from {
        return Err(UsageError(
            "--to is before --from; the last valid date cannot come before the first".into(),
        ));
    }
    let days = (to - from).whole_days() + 1;
    if days > i64::from(MAX_WINDOW_DAYS) {
        return Err(UsageError(format!(
            "a temporary password is valid for at most {MAX_WINDOW_DAYS} days; this window has \
             {days}"
        )));
    }
    Ok(())
}

/// Has a verification code e-mailed to the account's address, then shows the temporary password
/// for the chosen dates.
pub async fn retrieve(ctx: &Ctx, args: RetrieveArgs) -> anyhow::Result<()> {
    let from = parse_date("--from", &args.from)?;
    let to = parse_date("--to", &args.to)?;
    check_window(from, to)?;
    let (from, to) = (from.to_string(), to.to_string());
    let (client, _) = ctx.session_client()?;
    let (device, serial) = resolve(ctx, &client, &args.device).await?;
    if args.code.is_none() {
        let sent = ctx
            .wait(
                "Sending the verification code…",
                client.retrieve_code(&serial, &from, &to),
            )
            .await?;
        let note = format!(
            "A verification code was e-mailed to {} (your account's address); it works for {}.",
            clean_line(&sent.email_masked),
            duration(sent.expires_in_secs)
        );
        if args.send_code_only {
            ctx.out.print(
                &format!(
                    "{note}\nThen run: rekey retrieve {serial} --from {from} --to {to} --code CODE"
                ),
                &json!({
                    "code_sent": true,
                    "serial": serial.as_str(),
                    "email_masked": sent.email_masked,
                    "expires_in_secs": sent.expires_in_secs,
                }),
            );
            return Ok(());
        }
        ctx.out.note(&note);
    }
    let retrieved = with_code_retries(ctx, args.code, "Verification code", |code| {
        let (client, serial, from, to) = (&client, &serial, &from, &to);
        async move {
            ctx.wait(
                "Retrieving the temporary password…",
                client.retrieve(serial, from, to, &code),
            )
            .await
        }
    })
    .await?;
    let password = TemporaryPassword::parse(retrieved.password.expose())
        .map(|p| p.to_string())
        .unwrap_or_else(|_| clean_line(retrieved.password.expose()));
    ctx.out.print(
        &format!(
            "Temporary password for {} ({serial}):\n\n    {password}\n\nValid on the recorder's \
             dates {} to {}, once.\nEnter it as the security code on the recorder's \"Password \
             recovery\" screen, and change the recorder's admin password right after logging in.",
            clean_line(&device.name),
            clean_line(&retrieved.from),
            clean_line(&retrieved.to),
        ),
        &json!({
            "serial": serial.as_str(),
            "device_name": device.name,
            "password": password,
            "from": retrieved.from,
            "to": retrieved.to,
        }),
    );
    Ok(())
}
