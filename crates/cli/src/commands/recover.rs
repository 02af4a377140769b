//! Issue 4, getting a temporary password: `rekey recover` (from the recorder's recovery QR code,
//! e-mailed) and `rekey retrieve` (for a window of dates, shown here).

use rekey_proto::{MAX_WINDOW_DAYS, RecoveryQr, TemporaryPassword};
use rekey_web::Lang;
use serde_json::json;
use time::Date;
use time::macros::format_description;

use super::devices::{resolve, warn_other_cloud};
use super::{Ctx, with_code_retries};
use crate::UsageError;
use crate::cli::{RecoverArgs, RetrieveArgs};
use crate::lang::duration;
use crate::output::{clean_line, fields, time_in};
use crate::qr::{Scanned, scan_file};

/// The recovery QR code's text from `--qr` (decoded here) or `--qr-url`.
fn recovery_qr_text(lang: Lang, args: &RecoverArgs) -> anyhow::Result<(String, RecoveryQr)> {
    let text = match (&args.qr, &args.qr_url) {
        (Some(path), _) => scan_file(path)?.0,
        (None, Some(text)) => text.trim().to_string(),
        (None, None) => return Err(UsageError(lang.t("cli-give-qr")).into()),
    };
    match Scanned::parse(&text) {
        Ok(Scanned::Recovery(qr)) => Ok((text, qr)),
        Ok(Scanned::Registration(_)) => Err(UsageError(lang.t("cli-qr-is-registration")).into()),
        Err(e) => Err(UsageError(
            lang.t_args("cli-qr-unusable", &[("reason", e.to_string().into())]),
        )
        .into()),
    }
}

/// Reads the recovery QR code, shows what it is for, and after confirmation has the cloud e-mail
/// the temporary password.
pub async fn recover(ctx: &Ctx, args: RecoverArgs) -> anyhow::Result<()> {
    let (text, qr) = recovery_qr_text(ctx.lang, &args)?;
    let client = ctx.optional_session_client()?;
    warn_other_cloud(ctx.lang, &text, rekey_proto::RECOVERY_PATH, client.cloud());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if qr.challenge.expires_at < now {
        eprintln!("{}", ctx.t("cli-qr-expired-here"));
    }
    let preview = ctx
        .wait("cli-wait-check-qr", client.recover_preview(&text))
        .await?;
    let zone = client.time_zone().await;
    let labels = [
        "cli-field-recorder",
        "cli-field-send-to",
        "cli-field-qr-valid-until",
    ]
    .map(|k| ctx.t(k));
    let summary = fields(&[
        (
            labels[0].as_str(),
            format!("{} ({})", preview.device_name, preview.serial),
        ),
        (labels[1].as_str(), preview.email_masked.clone()),
        (labels[2].as_str(), time_in(&preview.expires_at, &zone)),
    ]);
    if !args.yes {
        ctx.prompt.require("cli-what-confirmation", "--yes")?;
        eprint!("{summary}");
        let ok = ctx.prompt.confirm(
            &ctx.t_args(
                "cli-recover-question",
                &[("email", clean_line(&preview.email_masked).into())],
            ),
            "--yes",
        )?;
        if !ok {
            anyhow::bail!(ctx.t("cli-cancelled-nothing-sent"));
        }
    }
    let sent = ctx
        .wait("cli-wait-send-temporary", client.recover_send(&text))
        .await?;
    let human = format!(
        "{}\n{}\n{}",
        if args.yes { summary.as_str() } else { "" },
        ctx.t_args(
            "cli-recover-sent",
            &[
                ("email", clean_line(&sent.email_masked).into()),
                ("until", time_in(&sent.valid_until, &zone).into()),
            ],
        ),
        ctx.t("cli-recover-next-step"),
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

/// A `YYYY-MM-DD` date given on the command line (the error in `lang`).
pub fn parse_date(lang: Lang, flag: &str, text: &str) -> Result<Date, UsageError> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).map_err(|_| {
        UsageError(lang.t_args(
            "cli-bad-date",
            &[("flag", flag.into()), ("text", format!("{text:?}").into())],
        ))
    })
}

/// Checks a window of valid dates: in order and at most [`MAX_WINDOW_DAYS`] days long (the
/// error in `lang`).
pub fn check_window(lang: Lang, from: Date, to: Date) -> Result<(), UsageError> {
    if to < from {
        return Err(UsageError(lang.t("cli-window-reversed")));
    }
    let days = (to - from).whole_days() + 1;
    if days > i64::from(MAX_WINDOW_DAYS) {
        return Err(UsageError(lang.t_args(
            "cli-window-too-long",
            &[
                ("max", i64::from(MAX_WINDOW_DAYS).into()),
                ("days", days.into()),
            ],
        )));
    }
    Ok(())
}

/// Has a verification code e-mailed to the account's address, then shows the temporary password
/// for the chosen dates.
pub async fn retrieve(ctx: &Ctx, args: RetrieveArgs) -> anyhow::Result<()> {
    let from = parse_date(ctx.lang, "--from", &args.from)?;
    let to = parse_date(ctx.lang, "--to", &args.to)?;
    check_window(ctx.lang, from, to)?;
    let (from, to) = (from.to_string(), to.to_string());
    let (client, _) = ctx.session_client()?;
    let (device, serial) = resolve(ctx, &client, &args.device).await?;
    if args.code.is_none() {
        let sent = ctx
            .wait(
                "cli-wait-send-code",
                client.retrieve_code(&serial, &from, &to),
            )
            .await?;
        let note = ctx.t_args(
            "cli-retrieve-code-sent",
            &[
                ("email", clean_line(&sent.email_masked).into()),
                ("duration", duration(ctx.lang, sent.expires_in_secs).into()),
            ],
        );
        if args.send_code_only {
            let then = format!("rekey retrieve {serial} --from {from} --to {to} --code CODE");
            ctx.out.print(
                &format!(
                    "{note}\n{}",
                    ctx.t_args("cli-then-run", &[("command", then.into())])
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
    let retrieved = with_code_retries(ctx, args.code, |code| {
        let (client, serial, from, to) = (&client, &serial, &from, &to);
        async move {
            ctx.wait(
                "cli-wait-retrieve",
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
            "{}\n\n    {password}\n\n{}\n{}",
            ctx.t_args(
                "cli-retrieved",
                &[
                    ("name", clean_line(&device.name).into()),
                    ("serial", serial.to_string().into()),
                ],
            ),
            ctx.t_args(
                "cli-retrieved-valid",
                &[
                    ("from", clean_line(&retrieved.from).into()),
                    ("to", clean_line(&retrieved.to).into()),
                ],
            ),
            ctx.t("cli-retrieved-next-step"),
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
