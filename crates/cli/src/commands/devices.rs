//! `rekey devices`: list, add (by register code or QR code), rename, remove.

use std::path::Path;

use rekey_proto::symbols::SymbolError;
use rekey_proto::{CloudBase, REGISTER_CODE_LEN, RegisterCode, RegisterCodeError, Serial};
use rekey_web::Lang;
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

/// The device list as a table for people in `lang`, times in `zone`.
pub fn devices_table(lang: Lang, devices: &[Device], zone: &rekey_web::TimeZone) -> String {
    if devices.is_empty() {
        return lang.t("cli-no-devices");
    }
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            vec![
                d.name.clone(),
                d.serial.clone(),
                lang.t(if d.online {
                    "cli-device-online"
                } else {
                    "cli-device-offline"
                }),
                d.last_seen
                    .as_deref()
                    .map_or_else(|| lang.t("cli-never"), |t| time_in(t, zone)),
                time_in(&d.added_at, zone),
            ]
        })
        .collect();
    let headers = [
        "cli-col-name",
        "cli-col-serial",
        "cli-col-status",
        "cli-col-last-seen",
        "cli-col-added",
    ]
    .map(|k| lang.t(k));
    table(&headers.each_ref().map(String::as_str), &rows)
}

async fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    let devices = ctx.wait("cli-wait-devices", client.devices()).await?;
    let zone = client.time_zone().await;
    ctx.out.print(
        &devices_table(ctx.lang, &devices, &zone),
        &json!({ "devices": devices }),
    );
    Ok(())
}

/// The message in `lang` for a register code that does not parse.
pub fn register_code_message(lang: Lang, e: &RegisterCodeError) -> String {
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    match e {
        RegisterCodeError::Mistyped => lang.t("cli-register-code-mistyped"),
        RegisterCodeError::Malformed(SymbolError::WrongLength { found, .. }) => lang.t_args(
            "cli-register-code-length",
            &[
                ("expected", count(REGISTER_CODE_LEN).into()),
                ("found", count(*found).into()),
            ],
        ),
        RegisterCodeError::Malformed(SymbolError::InvalidCharacter {
            character,
            position,
        }) => lang.t_args(
            "cli-register-code-character",
            &[
                ("character", format!("{character:?}").into()),
                ("position", count(*position).into()),
            ],
        ),
    }
}

/// Reads a typed register code, with a clear message in `lang` for a mistyped or malformed one.
pub fn parse_register_code(lang: Lang, input: &str) -> Result<RegisterCode, UsageError> {
    RegisterCode::parse(input).map_err(|e| UsageError(register_code_message(lang, &e)))
}

/// The register code in a registration QR code's text, or why it is not one (in `lang`).
pub fn register_code_from_qr(
    lang: Lang,
    text: &str,
    cloud: &CloudBase,
) -> anyhow::Result<RegisterCode> {
    match Scanned::parse(text) {
        Ok(Scanned::Registration(r)) => {
            warn_other_cloud(lang, text, rekey_proto::REGISTRATION_PATH, cloud);
            Ok(r.code)
        }
        Ok(Scanned::Recovery(_)) => Err(UsageError(lang.t("cli-qr-is-recovery")).into()),
        Err(e) => Err(UsageError(
            lang.t_args("cli-qr-unusable", &[("reason", e.to_string().into())]),
        )
        .into()),
    }
}

/// Notes on stderr (in `lang`) when a QR code names another cloud than the one in use.
pub fn warn_other_cloud(lang: Lang, text: &str, path: &str, cloud: &CloudBase) {
    let base = text.split('?').next().unwrap_or("");
    let base = base
        .trim_end_matches('/')
        .strip_suffix(path)
        .unwrap_or(base);
    if let Ok(qr_cloud) = CloudBase::parse(base)
        && &qr_cloud != cloud
    {
        eprintln!(
            "{}",
            lang.t_args(
                "cli-qr-other-cloud",
                &[
                    ("qr_cloud", qr_cloud.to_string().into()),
                    ("cloud", cloud.to_string().into()),
                ],
            )
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
        (Some(code), _, _) => parse_register_code(ctx.lang, &code)?,
        (None, Some(path), _) => {
            let (text, _) = scan_file(path)?;
            register_code_from_qr(ctx.lang, &text, client.cloud())?
        }
        (None, None, Some(text)) => register_code_from_qr(ctx.lang, &text, client.cloud())?,
        (None, None, None) => {
            return Err(UsageError(ctx.t("cli-give-code-or-qr")).into());
        }
    };
    let name = match name {
        Some(n) => n,
        None => ctx
            .prompt
            .text("cli-label-device-name", "cli-what-device-name", "--name")?,
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError(ctx.t("cli-device-name-empty")).into());
    }
    let device = ctx
        .wait(
            "cli-wait-add-device",
            client.add_device(&code.compact(), name),
        )
        .await?;
    ctx.out.print(
        &ctx.t_args(
            "cli-device-added",
            &[
                ("name", clean_line(&device.name).into()),
                ("serial", clean_line(&device.serial).into()),
            ],
        ),
        &device,
    );
    Ok(())
}

/// Why a device named on the command line could not be picked (its `Display` is English; see
/// [`DeviceLookupError::message`]).
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

impl DeviceLookupError {
    /// The error for people in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Self::NotFound(query) => lang.t_args(
                "cli-device-not-found",
                &[("query", format!("{query:?}").into())],
            ),
            Self::Ambiguous { query, serials } => lang.t_args(
                "cli-device-ambiguous",
                &[
                    ("query", format!("{query:?}").into()),
                    ("serials", serials.as_str().into()),
                ],
            ),
        }
    }
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
    let devices = ctx.wait("cli-wait-devices", client.devices()).await?;
    let device = find_device(&devices, query)
        .map_err(|e| anyhow::anyhow!(e.message(ctx.lang)))?
        .clone();
    let serial = Serial::parse(&device.serial).map_err(|e| ApiError::Protocol {
        cloud: client.cloud().to_string(),
        detail: format!("device serial {:?}: {e}", device.serial),
    })?;
    Ok((device, serial))
}

async fn rename(ctx: &Ctx, query: &str, name: &str) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError(ctx.t("cli-device-name-empty")).into());
    }
    let (client, _) = ctx.session_client()?;
    let (before, serial) = resolve(ctx, &client, query).await?;
    let device = ctx
        .wait(
            "cli-wait-rename-device",
            client.rename_device(&serial, name),
        )
        .await?;
    ctx.out.print(
        &ctx.t_args(
            "cli-device-renamed",
            &[
                ("before", clean_line(&before.name).into()),
                ("serial", serial.to_string().into()),
                ("name", clean_line(&device.name).into()),
            ],
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
            &ctx.t_args("cli-remove-question", &[("device", label.as_str().into())]),
            "--yes",
        )?;
        if !ok {
            anyhow::bail!(ctx.t("cli-cancelled-nothing-removed"));
        }
    }
    ctx.wait("cli-wait-remove-device", client.remove_device(&serial))
        .await?;
    ctx.out.print(
        &ctx.t_args("cli-device-removed", &[("device", label.as_str().into())]),
        &json!({ "removed": serial.as_str(), "name": device.name }),
    );
    Ok(())
}
