//! `rekey transfer` and `rekey accept`: hand recorders over to another account (one or many at
//! once, as an installer hands a site to its customer), and accept or decline what another
//! account hands over (docs/api.md, "Transfers and hand-overs").

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

/// The open hand-overs as a table for people, times in `zone`.
pub fn transfers_table(transfers: &[Transfer], zone: &rekey_web::TimeZone) -> String {
    if transfers.is_empty() {
        return "No open hand-overs.".to_string();
    }
    let rows: Vec<Vec<String>> = transfers
        .iter()
        .map(|t| {
            let (direction, other) = if t.direction == "incoming" {
                ("from", clean_line(&t.from))
            } else {
                ("to", clean_line(&t.to))
            };
            vec![
                clean_line(&t.id),
                format!("{direction} {other}"),
                t.devices
                    .iter()
                    .map(device_label)
                    .collect::<Vec<_>>()
                    .join(", "),
                time_in(&t.expires_at, zone),
            ]
        })
        .collect();
    table(&["ID", "WITH", "DEVICES", "UNTIL"], &rows)
}

async fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    let transfers = ctx
        .wait("Fetching your hand-overs…", client.transfers())
        .await?;
    let zone = client.time_zone().await;
    ctx.out.print(
        &transfers_table(&transfers, &zone),
        &json!({ "transfers": transfers }),
    );
    Ok(())
}

async fn send(ctx: &Ctx, devices: &[String], to: &str, password_stdin: bool) -> anyhow::Result<()> {
    let to = to.trim();
    if to.is_empty() {
        return Err(UsageError("the recipient's e-mail address is empty".into()).into());
    }
    let (client, _) = ctx.session_client()?;
    let own = ctx.wait("Fetching your devices…", client.devices()).await?;
    let mut serials = Vec::new();
    for query in devices {
        let d = find_device(&own, query)?;
        if !serials.contains(&d.serial) {
            serials.push(d.serial.clone());
        }
    }
    let password = ctx.current_password(password_stdin)?;
    let transfer = ctx
        .wait(
            "Offering the hand-over…",
            client.offer_transfer(to, &serials, &password),
        )
        .await?;
    let zone = client.time_zone().await;
    ctx.out.print(
        &format!(
            "Offered {} to {} until {} (id {}). Nothing changes until it is accepted; cancel \
             with `rekey transfer cancel {}`.",
            transfer
                .devices
                .iter()
                .map(device_label)
                .collect::<Vec<_>>()
                .join(", "),
            clean_line(&transfer.to),
            time_in(&transfer.expires_at, &zone),
            clean_line(&transfer.id),
            clean_line(&transfer.id),
        ),
        &transfer,
    );
    Ok(())
}

async fn cancel(ctx: &Ctx, id: &str) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    ctx.wait("Cancelling the hand-over…", client.cancel_transfer(id))
        .await?;
    ctx.out.print(
        "The hand-over was cancelled; the devices stay in your account.",
        &json!({ "cancelled": id.trim() }),
    );
    Ok(())
}

/// Picks the devices of a transfer a user named, by serial number or name (any case).
pub fn pick(devices: &[TransferDevice], queries: &[String]) -> Result<Vec<String>, UsageError> {
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
                UsageError(format!(
                    "{q:?} is not one of this hand-over's devices (or names several); name it \
                     by its serial number"
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
        ctx.wait(
            "Declining the hand-over…",
            client.decline_transfer(&args.id),
        )
        .await?;
        ctx.out.print(
            "You declined the hand-over; the devices stay with the sender.",
            &json!({ "declined": args.id.trim() }),
        );
        return Ok(());
    }
    let selected = if args.devices.is_empty() {
        None
    } else {
        let transfer = ctx
            .wait("Fetching the hand-over…", client.transfer(&args.id))
            .await?;
        Some(pick(&transfer.devices, &args.devices)?)
    };
    let done = ctx
        .wait(
            "Accepting the hand-over…",
            client.accept_transfer(&args.id, selected.as_deref()),
        )
        .await?;
    let mut lines = vec![format!(
        "{} device(s) are now in your account: {}.",
        done.moved.len(),
        done.moved.join(", ")
    )];
    if !done.declined.is_empty() {
        lines.push(format!(
            "Left with the sender: {}.",
            done.declined.join(", ")
        ));
    }
    if !done.gone.is_empty() {
        lines.push(format!(
            "No longer the sender's, so not moved: {}.",
            done.gone.join(", ")
        ));
    }
    ctx.out.print(&lines.join("\n"), &done);
    Ok(())
}
