//! `rekey transfer` and `rekey accept`: hand recorders over to another account (one or many at
//! once, as an installer hands a site to its customer), and accept or decline what another
//! account hands over (docs/api.md, "Transfers and hand-overs").

use rekey_web::Lang;
use serde_json::json;

use super::Ctx;
use super::devices::find_device;
use crate::UsageError;
use crate::api::{Transfer, TransferDevice};
use crate::cli::{AcceptArgs, TransferAction, TransferArgs};
use crate::output::{clean_line, table, time_in};

/// Runs `rekey transfer …`.
pub async fn run(ctx: &Ctx, args: TransferArgs) -> anyhow::Result<()> {
    match args.action.unwrap_or(TransferAction::List) {
        TransferAction::List => list(ctx).await,
        TransferAction::Send {
            devices,
            to,
            password_stdin,
        } => send(ctx, &devices, &to, password_stdin).await,
        TransferAction::Cancel { id } => cancel(ctx, &id).await,
    }
}

fn device_label(d: &TransferDevice) -> String {
    match d.name.as_deref() {
        Some(n) if !n.is_empty() && n != d.serial => {
            format!("{} ({})", clean_line(n), clean_line(&d.serial))
        }
        _ => clean_line(&d.serial),
    }
}

/// The open hand-overs as a table for people in `lang`, times in `zone`.
pub fn transfers_table(lang: Lang, transfers: &[Transfer], zone: &rekey_web::TimeZone) -> String {
    if transfers.is_empty() {
        return lang.t("cli-no-transfers");
    }
    let rows: Vec<Vec<String>> = transfers
        .iter()
        .map(|t| {
            let (direction, other) = if t.direction == "incoming" {
                ("cli-transfer-from", clean_line(&t.from))
            } else {
                ("cli-transfer-to", clean_line(&t.to))
            };
            vec![
                clean_line(&t.id),
                lang.t_args(direction, &[("account", other.into())]),
                t.devices
                    .iter()
                    .map(device_label)
                    .collect::<Vec<_>>()
                    .join(", "),
                time_in(&t.expires_at, zone),
            ]
        })
        .collect();
    let headers = [
        "cli-col-id",
        "cli-col-with",
        "cli-col-devices",
        "cli-col-until",
    ]
    .map(|k| lang.t(k));
    table(&headers.each_ref().map(String::as_str), &rows)
}

async fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    let transfers = ctx.wait("cli-wait-transfers", client.transfers()).await?;
    let zone = client.time_zone().await;
    ctx.out.print(
        &transfers_table(ctx.lang, &transfers, &zone),
        &json!({ "transfers": transfers }),
    );
    Ok(())
}

async fn send(ctx: &Ctx, devices: &[String], to: &str, password_stdin: bool) -> anyhow::Result<()> {
    let to = to.trim();
    if to.is_empty() {
        return Err(UsageError(ctx.t("cli-recipient-empty")).into());
    }
    let (client, _) = ctx.session_client()?;
    let own = ctx.wait("cli-wait-devices", client.devices()).await?;
    let mut serials = Vec::new();
    for query in devices {
        let d = find_device(&own, query).map_err(|e| anyhow::anyhow!(e.message(ctx.lang)))?;
        if !serials.contains(&d.serial) {
            serials.push(d.serial.clone());
        }
    }
    let password = ctx.current_password(password_stdin)?;
    let transfer = ctx
        .wait(
            "cli-wait-offer",
            client.offer_transfer(to, &serials, &password),
        )
        .await?;
    let zone = client.time_zone().await;
    ctx.out.print(
        &ctx.t_args(
            "cli-transfer-offered",
            &[
                (
                    "devices",
                    (transfer.devices.iter())
                        .map(device_label)
                        .collect::<Vec<_>>()
                        .join(", ")
                        .into(),
                ),
                ("to", clean_line(&transfer.to).into()),
                ("until", time_in(&transfer.expires_at, &zone).into()),
                ("id", clean_line(&transfer.id).into()),
            ],
        ),
        &transfer,
    );
    Ok(())
}

async fn cancel(ctx: &Ctx, id: &str) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    ctx.wait("cli-wait-cancel-transfer", client.cancel_transfer(id))
        .await?;
    ctx.out.print(
        &ctx.t("cli-transfer-cancelled"),
        &json!({ "cancelled": id.trim() }),
    );
    Ok(())
}

/// Picks the devices of a transfer a user named, by serial number or name (any case); the
/// error in `lang`.
pub fn pick(
    lang: Lang,
    devices: &[TransferDevice],
    queries: &[String],
) -> Result<Vec<String>, UsageError> {
    let mut out = Vec::new();
    for q in queries {
        let q = q.trim();
        let found = devices
            .iter()
            .find(|d| d.serial.eq_ignore_ascii_case(q))
            .or_else(|| {
                let lower = q.to_lowercase();
                let named: Vec<_> = (devices.iter())
                    .filter(|d| {
                        (d.name.as_deref()).is_some_and(|n| n.trim().to_lowercase() == lower)
                    })
                    .collect();
                (named.len() == 1).then(|| named[0])
            })
            .ok_or_else(|| {
                UsageError(lang.t_args(
                    "cli-transfer-no-device",
                    &[("query", format!("{q:?}").into())],
                ))
            })?;
        if !out.contains(&found.serial) {
            out.push(found.serial.clone());
        }
    }
    Ok(out)
}

/// Runs `rekey accept ID …`.
pub async fn accept(ctx: &Ctx, args: AcceptArgs) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    if args.decline {
        ctx.wait("cli-wait-decline", client.decline_transfer(&args.id))
            .await?;
        ctx.out.print(
            &ctx.t("cli-transfer-declined"),
            &json!({ "declined": args.id.trim() }),
        );
        return Ok(());
    }
    let selected = if args.devices.is_empty() {
        None
    } else {
        let transfer = ctx
            .wait("cli-wait-transfer", client.transfer(&args.id))
            .await?;
        Some(pick(ctx.lang, &transfer.devices, &args.devices)?)
    };
    let done = ctx
        .wait(
            "cli-wait-accept",
            client.accept_transfer(&args.id, selected.as_deref()),
        )
        .await?;
    let serials = |list: &[String]| clean_line(&list.join(", "));
    let count = i64::try_from(done.moved.len()).unwrap_or(i64::MAX);
    let mut lines = vec![ctx.t_args(
        "cli-transfer-accepted",
        &[
            ("count", count.into()),
            ("serials", serials(&done.moved).into()),
        ],
    )];
    if !done.declined.is_empty() {
        lines.push(ctx.t_args(
            "cli-transfer-left",
            &[("serials", serials(&done.declined).into())],
        ));
    }
    if !done.gone.is_empty() {
        lines.push(ctx.t_args(
            "cli-transfer-gone",
            &[("serials", serials(&done.gone).into())],
        ));
    }
    ctx.out.print(&lines.join("\n"), &done);
    Ok(())
}
