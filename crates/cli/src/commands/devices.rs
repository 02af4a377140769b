//! `rekey devices`: list, add (by register code or QR code), rename, remove.

use std::path::Path;

use rekey_proto::symbols::SymbolError;
use rekey_proto::{CloudBase, REGISTER_CODE_LEN, RegisterCode, RegisterCodeError, Serial};
use serde_json::json;

use super::Ctx;
use crate::UsageError;
use crate::api::{ApiError, Client, Device};
use crate::cli::{DevicesAction, DevicesArgs};
use crate::output::{clean_line, table, time_in};
use crate::qr::{Scanned, scan_file};

/// Runs `rekey devices …`.
pub async fn run(ctx: &Ctx, args: DevicesArgs) -> anyhow::Result<()> {
    match args.action.unwrap_or(DevicesAction::List) {
        DevicesAction::List => list(ctx).await,
        DevicesAction::Add {
            code,
            qr,
            qr_url,
            name,
        } => add(ctx, code, qr.as_deref(), qr_url, name).await,
        DevicesAction::Rename { device, name } => rename(ctx, &device, &name).await,
        DevicesAction::Remove { device, yes } => remove(ctx, &device, yes).await,
    }
}

/// The device list as a table for people, times in `zone`.
pub fn devices_table(devices: &[Device], zone: &rekey_web::TimeZone) -> String {
    if devices.is_empty() {
        return "No devices yet. Add one with `rekey devices add --code CODE` or \
                `rekey devices add --qr PHOTO`."
            .to_string();
    }
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            vec![
                d.name.clone(),
                d.serial.clone(),
                if d.online { "online" } else { "offline" }.to_string(),
                d.last_seen
                    .as_deref()
                    .map_or_else(|| "never".into(), |t| time_in(t, zone)),
                time_in(&d.added_at, zone),
            ]
        })
        .collect();
    table(&["NAME", "SERIAL", "STATUS", "LAST SEEN", "ADDED"], &rows)
}

async fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    let devices = ctx.wait("Fetching your devices…", client.devices()).await?;
    let zone = client.time_zone().await;
    ctx.out.print(
        &devices_table(&devices, &zone),
        &json!({ "devices": devices }),
    );
    Ok(())
}

/// The message for a register code that does not parse.
pub fn register_code_message(e: &RegisterCodeError) -> String {
    match e {
        RegisterCodeError::Mistyped => "the register code is mistyped: a character is wrong or \
             two are swapped; compare it with the recorder's \"Network › Cloud\" page"
            .to_string(),
        RegisterCodeError::Malformed(SymbolError::WrongLength { found, .. }) => format!(
            "a register code has {REGISTER_CODE_LEN} characters (XXXX-XXXX-XXXX); this one \
             has {found}"
        ),
        RegisterCodeError::Malformed(SymbolError::InvalidCharacter {
            character,
            position,
        }) => format!(
            "character {character:?} at position {position} cannot be part of a register code \
             (it has only letters and digits)"
        ),
    }
}

/// Reads a typed register code, with a clear message for a mistyped or malformed one.
pub fn parse_register_code(input: &str) -> Result<RegisterCode, UsageError> {
    RegisterCode::parse(input).map_err(|e| UsageError(register_code_message(&e)))
}

/// The register code in a registration QR code's text, or why it is not one.
pub fn register_code_from_qr(text: &str, cloud: &CloudBase) -> anyhow::Result<RegisterCode> {
    match Scanned::parse(text) {
        Ok(Scanned::Registration(r)) => {
            warn_other_cloud(text, rekey_proto::REGISTRATION_PATH, cloud);
            Ok(r.code)
        }
        Ok(Scanned::Recovery(_)) => Err(UsageError(
            "this is the QR code of the recorder's \"Password recovery\" screen; to get a \
             temporary password use `rekey recover --qr PHOTO`"
                .into(),
        )
        .into()),
        Err(e) => Err(UsageError(format!("this QR code cannot be used: {e}")).into()),
    }
}

/// Notes on stderr when a QR code names another cloud than the one in use.
pub fn warn_other_cloud(text: &str, path: &str, cloud: &CloudBase) {
    let base = text.split('?').next().unwrap_or("");
    let base = base
        .trim_end_matches('/')
        .strip_suffix(path)
        .unwrap_or(base);
    if let Ok(qr_cloud) = CloudBase::parse(base)
        && &qr_cloud != cloud
    {
        eprintln!(
            "note: this QR code names the cloud at {qr_cloud}, but rekey is using {cloud} (see \
             --cloud)"
        );
    }
}

async fn add(
    ctx: &Ctx,
    code: Option<String>,
    qr: Option<&Path>,
    qr_url: Option<String>,
    name: Option<String>,
) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    let code = match (code, qr, qr_url) {
        (Some(code), _, _) => parse_register_code(&code)?,
        (None, Some(path), _) => {
            let (text, _) = scan_file(path)?;
            register_code_from_qr(&text, client.cloud())?
        }
        (None, None, Some(text)) => register_code_from_qr(&text, client.cloud())?,
        (None, None, None) => {
            return Err(UsageError("give --code, --qr or --qr-url".into()).into());
        }
    };
    let name = match name {
        Some(n) => n,
        None => ctx
            .prompt
            .text("Device name", "a name for the device", "--name")?,
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError("the device name is empty".into()).into());
    }
    let device = ctx
        .wait(
            "Adding the device…",
            client.add_device(&code.compact(), name),
        )
        .await?;
    ctx.out.print(
        &format!(
            "Added {} ({}). It may take a while until it connects to the cloud.",
            clean_line(&device.name),
            clean_line(&device.serial)
        ),
        &device,
    );
    Ok(())
}

/// Why a device named on the command line could not be picked.
#[derive(Debug, thiserror::Error)]
pub enum DeviceLookupError {
    /// No device has that serial number or name.
    #[error("no device {0:?} in your account; see `rekey devices list`")]
    NotFound(String),
    /// Several devices have that name.
    #[error("{query:?} is the name of several devices ({serials}); name one by its serial number")]
    Ambiguous {
        /// What was asked for.
        query: String,
        /// The serial numbers of the devices with that name.
        serials: String,
    },
}

/// Picks the device a user named: by serial number (any case), else by exact name, else by name
/// in any case. A name shared by several devices is ambiguous.
pub fn find_device<'a>(
    devices: &'a [Device],
    query: &str,
) -> Result<&'a Device, DeviceLookupError> {
    let q = query.trim();
    if let Ok(serial) = Serial::parse(q)
        && let Some(d) = devices
            .iter()
            .find(|d| d.serial.eq_ignore_ascii_case(serial.as_str()))
    {
        return Ok(d);
    }
    let exact: Vec<&Device> = devices.iter().filter(|d| d.name.trim() == q).collect();
    let matches = if exact.is_empty() {
        let lower = q.to_lowercase();
        devices
            .iter()
            .filter(|d| d.name.trim().to_lowercase() == lower)
            .collect()
    } else {
        exact
    };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(DeviceLookupError::NotFound(q.to_string())),
        many => Err(DeviceLookupError::Ambiguous {
            query: q.to_string(),
            serials: many
                .iter()
                .map(|d| clean_line(&d.serial))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Lists the devices and picks the one named; returns it with its checked serial number.
pub(super) async fn resolve(
    ctx: &Ctx,
    client: &Client,
    query: &str,
) -> anyhow::Result<(Device, Serial)> {
    let devices = ctx.wait("Fetching your devices…", client.devices()).await?;
    let device = find_device(&devices, query)?.clone();
    let serial = Serial::parse(&device.serial).map_err(|e| ApiError::Protocol {
        cloud: client.cloud().to_string(),
        detail: format!("device serial {:?}: {e}", device.serial),
    })?;
    Ok((device, serial))
}

async fn rename(ctx: &Ctx, query: &str, name: &str) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError("the device name is empty".into()).into());
    }
    let (client, _) = ctx.session_client()?;
    let (before, serial) = resolve(ctx, &client, query).await?;
    let device = ctx
        .wait("Renaming the device…", client.rename_device(&serial, name))
        .await?;
    ctx.out.print(
        &format!(
            "Renamed {} ({serial}) to {}.",
            clean_line(&before.name),
            clean_line(&device.name)
        ),
        &device,
    );
    Ok(())
}

async fn remove(ctx: &Ctx, query: &str, yes: bool) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    let (device, serial) = resolve(ctx, &client, query).await?;
    let label = format!("{} ({serial})", clean_line(&device.name));
    if !yes {
        let ok = ctx.prompt.confirm(
            &format!(
                "Remove {label} from your account? Its admin password can then no longer be \
                 recovered through the cloud."
            ),
            "--yes",
        )?;
        if !ok {
            anyhow::bail!("cancelled; nothing was removed");
        }
    }
    ctx.wait("Removing the device…", client.remove_device(&serial))
        .await?;
    ctx.out.print(
        &format!("Removed {label}."),
        &json!({ "removed": serial.as_str(), "name": device.name }),
    );
    Ok(())
}
