//! `rekey account`: show it, change the username, e-mail address or password, export its data,
//! delete it.

use rekey_web::Secret;
use serde_json::json;

use super::signup::{new_password, read_email};
use super::{Ctx, with_code_retries};
use crate::UsageError;
use crate::api::{Account, ApiError, CodeSent};
use crate::cli::{AccountAction, AccountArgs, DeleteArgs, SetEmailArgs};
use crate::lang::duration;
use crate::output::{clean_line, fields, time_in};
use rekey_web::Lang;

/// Runs `rekey account …`.
pub async fn run(ctx: &Ctx, args: AccountArgs) -> anyhow::Result<()> {
    match args.action.unwrap_or(AccountAction::Show) {
        AccountAction::Show => show(ctx).await,
        AccountAction::SetUsername { name } => set_username(ctx, &name).await,
        AccountAction::SetEmail(args) => set_email(ctx, args).await,
        AccountAction::SetPassword { password_stdin } => set_password(ctx, password_stdin).await,
        AccountAction::Export { output } => export(ctx, output).await,
        AccountAction::Delete(args) => delete(ctx, args).await,
    }
}

/// The account as fields for people, labelled in `lang`.
pub fn account_fields(lang: Lang, a: &Account) -> String {
    let zone = a
        .time_zone
        .as_deref()
        .and_then(|z| rekey_web::TimeZone::parse(z).ok())
        .unwrap_or_else(rekey_web::TimeZone::utc);
    let labels = [
        "cli-field-username",
        "cli-field-email",
        "cli-field-region",
        "cli-field-language",
        "cli-field-time-zone",
        "cli-field-created",
    ]
    .map(|k| lang.t(k));
    let values = [
        a.username.clone(),
        a.email.clone(),
        a.region.clone(),
        a.lang.clone(),
        zone.name().to_string(),
        time_in(&a.created_at, &zone),
    ];
    let pairs: Vec<(&str, String)> = labels.iter().map(String::as_str).zip(values).collect();
    fields(&pairs)
}

async fn show(ctx: &Ctx) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    let account = ctx.wait("cli-wait-account", client.account()).await?;
    ctx.out.print(&account_fields(ctx.lang, &account), &account);
    Ok(())
}

async fn set_username(ctx: &Ctx, name: &str) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError(ctx.t("cli-username-empty")).into());
    }
    let (client, mut session) = ctx.session_client()?;
    let account = ctx
        .wait("cli-wait-set-username", client.set_username(name))
        .await?;
    session.username = account.username.clone();
    ctx.store.save_session(&session)?;
    ctx.out.print(
        &format!(
            "{}\n\n{}",
            ctx.t_args(
                "cli-username-changed",
                &[("username", clean_line(&account.username).into())],
            ),
            account_fields(ctx.lang, &account)
        ),
        &account,
    );
    Ok(())
}

async fn set_email(ctx: &Ctx, args: SetEmailArgs) -> anyhow::Result<()> {
    let email = read_email(ctx, Some(&args.email))?;
    let (client, _) = ctx.session_client()?;
    if args.code.is_none() {
        let step = CodeStep {
            password_stdin: args.password_stdin,
            send_code_only: args.send_code_only,
            new_email: Some(email.as_str()),
            then: &format!("rekey account set-email {email} --code CODE"),
        };
        let send = |current| {
            let (client, email) = (&client, email.as_str());
            async move { client.email_code(email, &current).await }
        };
        if !send_code(ctx, step, send).await? {
            return Ok(());
        }
    }
    let account = with_code_retries(ctx, args.code, |code| {
        let client = &client;
        let email = email.as_str();
        async move {
            ctx.wait("cli-wait-set-email", client.set_email(email, &code))
                .await
        }
    })
    .await?;
    ctx.out.print(
        &format!(
            "{}\n\n{}",
            ctx.t_args(
                "cli-email-changed",
                &[("email", clean_line(&account.email).into())],
            ),
            account_fields(ctx.lang, &account)
        ),
        &account,
    );
    Ok(())
}

/// The first step of a change confirmed by an e-mailed code, as its command's flags say.
struct CodeStep<'a> {
    /// `--password-stdin`.
    password_stdin: bool,
    /// `--send-code-only`.
    send_code_only: bool,
    /// The new address the code goes to; none: the account's.
    new_email: Option<&'a str>,
    /// The command that goes on with the code.
    then: &'a str,
}

/// Types the current password again and has `send` ask the cloud to mail a code with it. With
/// `--send-code-only` where it went and the command that goes on are the output, and the
/// command stops (`false`); else the note goes to stderr and the command goes on to ask for
/// the code (`true`).
async fn send_code<F, Fut>(ctx: &Ctx, step: CodeStep<'_>, send: F) -> anyhow::Result<bool>
where
    F: FnOnce(Secret<String>) -> Fut,
    Fut: Future<Output = Result<CodeSent, ApiError>>,
{
    let current = ctx.current_password(step.password_stdin)?;
    let sent = ctx.wait("cli-wait-send-code", send(current)).await?;
    let lasts = duration(ctx.lang, sent.expires_in_secs);
    let note = match step.new_email {
        Some(email) => ctx.t_args(
            "cli-code-sent-to",
            &[("email", email.into()), ("duration", lasts.into())],
        ),
        None => ctx.t_args("cli-code-sent-account", &[("duration", lasts.into())]),
    };
    if step.send_code_only {
        let mut shown = json!({ "code_sent": true, "expires_in_secs": sent.expires_in_secs });
        if let Some(email) = step.new_email {
            shown["email"] = json!(email);
        }
        let then = ctx.t_args("cli-then-run", &[("command", step.then.into())]);
        ctx.out.print(&format!("{note}\n{then}"), &shown);
        return Ok(false);
    }
    ctx.out.note(&note);
    Ok(true)
}

async fn set_password(ctx: &Ctx, from_stdin: bool) -> anyhow::Result<()> {
    let (client, session) = ctx.session_client()?;
    let current = ctx.current_password(from_stdin)?;
    let new = new_password(ctx, from_stdin, &[session.username.as_str()])?;
    if new.expose() == current.expose() {
        return Err(UsageError(ctx.t("cli-password-same")).into());
    }
    ctx.wait("cli-wait-set-password", client.set_password(&current, &new))
        .await?;
    ctx.out.print(
        &ctx.t("cli-password-changed"),
        &json!({ "password_changed": true }),
    );
    Ok(())
}

async fn export(ctx: &Ctx, output: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    let data = ctx.wait("cli-wait-export", client.export()).await?;
    let text = serde_json::to_string_pretty(&data)?;
    match output {
        Some(path) => {
            let shown = path.display().to_string();
            std::fs::write(&path, format!("{text}\n")).map_err(|e| {
                anyhow::anyhow!(ctx.t_args(
                    "cli-cannot-write",
                    &[
                        ("path", shown.as_str().into()),
                        ("reason", e.to_string().into())
                    ],
                ))
            })?;
            ctx.out.print(
                &ctx.t_args("cli-exported", &[("path", shown.as_str().into())]),
                &json!({ "exported": true, "path": path.display().to_string() }),
            );
        }
        // The document itself is the output, for people and scripts alike.
        None => println!("{text}"),
    }
    Ok(())
}

async fn delete(ctx: &Ctx, args: DeleteArgs) -> anyhow::Result<()> {
    let (client, _) = ctx.session_client()?;
    if args.code.is_none() {
        let step = CodeStep {
            password_stdin: args.password_stdin,
            send_code_only: args.send_code_only,
            new_email: None,
            then: "rekey account delete --code CODE",
        };
        let send = |current| {
            let client = &client;
            async move { client.delete_code(&current).await }
        };
        if !send_code(ctx, step, send).await? {
            return Ok(());
        }
    }
    if !args.yes {
        let ok = ctx.prompt.confirm(&ctx.t("cli-delete-question"), "--yes")?;
        if !ok {
            anyhow::bail!(ctx.t("cli-cancelled-nothing-deleted"));
        }
    }
    let deleted = with_code_retries(ctx, args.code, |code| {
        let client = &client;
        async move {
            ctx.wait("cli-wait-delete-account", client.delete_account(&code))
                .await
        }
    })
    .await?;
    // The session ended with the account.
    ctx.store.remove_session()?;
    let released = if deleted.released.is_empty() {
        ctx.t("cli-deleted-none")
    } else {
        let serials = clean_line(&deleted.released.join(", "));
        ctx.t_args("cli-deleted-released", &[("serials", serials.into())])
    };
    let days = i64::try_from(deleted.retention_days).unwrap_or(i64::MAX);
    ctx.out.print(
        &ctx.t_args(
            "cli-account-deleted",
            &[("released", released.into()), ("days", days.into())],
        ),
        &deleted,
    );
    Ok(())
}
