//! `rekey signup`, in the phone app's order: region, e-mail address, verification code,
//! password, service agreement.

use anyhow::Context;
use rekey_proto::Email;
use rekey_web::Secret;
use serde_json::json;

use super::{Ctx, with_code_retries};
use crate::UsageError;
use crate::api::{Client, Region};
use crate::cli::SignupArgs;
use crate::output::{clean_line, duration};
use crate::prompt::{missing, stdin_secret};
use crate::session::{PendingSignup, Session};

/// Signs up (or, with `--send-code-only`, only requests the verification code).
pub async fn run(ctx: &Ctx, args: SignupArgs) -> anyhow::Result<()> {
    let client = ctx.anonymous_client()?;
    let cloud = client.cloud().to_string();
    let pending = ctx.store.load_pending_signup()?;

    let (email, region, given_code) = if args.code.is_none() {
        let region = choose_region(ctx, &client, args.region.as_deref()).await?;
        let email = read_email(ctx, args.email.as_deref())?;
        let sent = ctx
            .wait(
                "Sending the verification code…",
                client.signup_code(email.as_str(), &region),
            )
            .await?;
        ctx.store.save_pending_signup(&PendingSignup {
            cloud: cloud.clone(),
            email: email.to_string(),
            region: region.clone(),
        })?;
        let note = format!(
            "A verification code was e-mailed to {email}; it works for {}. If it does not \
             arrive, look in the spam folder.",
            duration(sent.expires_in_secs)
        );
        if args.send_code_only {
            ctx.out.print(
                &format!(
                    "{note}\nThen run: rekey signup --email {email} --code CODE --password-stdin \
                     --accept-agreement"
                ),
                &json!({
                    "code_sent": true,
                    "email": email.as_str(),
                    "region": region,
                    "expires_in_secs": sent.expires_in_secs,
                }),
            );
            return Ok(());
        }
        ctx.out.note(&note);
        (email, region, None)
    } else {
        let email = read_email(ctx, args.email.as_deref())?;
        let remembered = pending
            .filter(|p| p.cloud == cloud && p.email.eq_ignore_ascii_case(email.as_str()))
            .map(|p| p.region);
        let region = match (args.region, remembered) {
            (Some(r), _) => choose_region(ctx, &client, Some(&r)).await?,
            (None, Some(r)) => r,
            (None, None) if ctx.prompt.is_interactive() => {
                choose_region(ctx, &client, None).await?
            }
            (None, None) => {
                return Err(UsageError(
                    "the region is needed: pass --region (it is remembered when the code is \
                     requested with `rekey signup --region … --email … --send-code-only`)"
                        .into(),
                )
                .into());
            }
        };
        (email, region, args.code)
    };

    let code = with_code_retries(ctx, given_code, "Verification code", |code| {
        let client = &client;
        let email = email.as_str();
        async move {
            ctx.wait("Checking the code…", client.signup_verify(email, &code))
                .await
                .map(|()| code)
        }
    })
    .await?;

    let password = new_password(ctx, args.password_stdin, &[email.as_str()])?;

    let agreement = ctx
        .wait("Fetching the Service Agreement…", client.agreement())
        .await?;
    let accepted = if args.accept_agreement {
        true
    } else {
        ctx.prompt
            .require("agreeing to the Service Agreement", "--accept-agreement")?;
        eprintln!(
            "Service Agreement (version {}): {}",
            clean_line(&agreement.version),
            clean_line(&agreement.url)
        );
        ctx.prompt.confirm(
            "I have read and agree to the Service Agreement.",
            "--accept-agreement",
        )?
    };
    if !accepted {
        anyhow::bail!("an account needs the Service Agreement to be accepted; nothing was made");
    }

    let logged_in = ctx
        .wait(
            "Creating the account…",
            client.signup(
                email.as_str(),
                &code,
                &password,
                &region,
                &agreement.version,
            ),
        )
        .await?;
    ctx.store.save_session(&Session {
        cloud: cloud.clone(),
        username: logged_in.username.clone(),
        token: logged_in.token,
    })?;
    ctx.store.remove_pending_signup()?;
    ctx.out.print(
        &format!(
            "Account created; you are logged in as {}.\nThe username is your login ID; change it \
             with `rekey account set-username NAME`.",
            clean_line(&logged_in.username)
        ),
        &json!({
            "username": logged_in.username,
            "email": email.as_str(),
            "region": region,
            "cloud": cloud,
        }),
    );
    Ok(())
}

/// Parses `--email`, or asks for it.
pub(super) fn read_email(ctx: &Ctx, given: Option<&str>) -> anyhow::Result<Email> {
    let text = match given {
        Some(e) => e.to_string(),
        None => ctx
            .prompt
            .text("E-mail address", "an e-mail address", "--email")?,
    };
    Email::parse(&text).map_err(|e| UsageError(format!("{:?}: {e}", text.trim())).into())
}

/// The region: `given` checked against the cloud's list, or chosen from it at the terminal.
async fn choose_region(ctx: &Ctx, client: &Client, given: Option<&str>) -> anyhow::Result<String> {
    if given.is_none() {
        ctx.prompt.require("the region", "--region")?;
    }
    let regions = ctx.wait("Fetching the regions…", client.regions()).await?;
    if regions.is_empty() {
        anyhow::bail!("the cloud offers no region to sign up in");
    }
    if let Some(given) = given {
        let given = given.trim();
        return find_region(&regions, given)
            .map(|r| r.code.clone())
            .ok_or_else(|| {
                UsageError(format!(
                    "unknown region {given:?}; choose one of: {}",
                    region_list(&regions)
                ))
                .into()
            });
    }
    if let [only] = regions.as_slice() {
        eprintln!(
            "Region: {} ({})",
            clean_line(&only.name),
            clean_line(&only.code)
        );
        return Ok(only.code.clone());
    }
    eprintln!("Regions:");
    for (i, r) in regions.iter().enumerate() {
        eprintln!(
            "  {}. {}  {}",
            i + 1,
            clean_line(&r.code),
            clean_line(&r.name)
        );
    }
    loop {
        let answer = ctx
            .prompt
            .text("Region (number or code)", "the region", "--region")?;
        let by_number = answer
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| regions.get(i));
        if let Some(r) = by_number.or_else(|| find_region(&regions, &answer)) {
            return Ok(r.code.clone());
        }
        eprintln!("Choose one of: {}", region_list(&regions));
    }
}

fn find_region<'a>(regions: &'a [Region], given: &str) -> Option<&'a Region> {
    regions.iter().find(|r| {
        r.code.eq_ignore_ascii_case(given) || r.name.to_lowercase() == given.to_lowercase()
    })
}

fn region_list(regions: &[Region]) -> String {
    regions
        .iter()
        .map(|r| format!("{} ({})", clean_line(&r.code), clean_line(&r.name)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A new password from stdin (one line) or typed twice, checked against the password policy.
pub(super) fn new_password(
    ctx: &Ctx,
    from_stdin: bool,
    identities: &[&str],
) -> anyhow::Result<Secret<String>> {
    if from_stdin {
        let password = stdin_secret("password")?;
        rekey_web::password::check_new(password.expose(), password.expose(), identities)
            .map_err(|e| UsageError(format!("{e}; choose another password")))?;
        return Ok(password);
    }
    if !ctx.prompt.is_interactive() {
        return Err(missing("a new password", "--password-stdin").into());
    }
    eprintln!(
        "Choose a password of at least {} characters; a long phrase is good.",
        rekey_web::password::MIN_CHARS
    );
    loop {
        let password = ctx
            .prompt
            .password("New password", "a new password", "--password-stdin")?;
        let confirm = ctx
            .prompt
            .password("Repeat it", "a new password", "--password-stdin")
            .context("cannot read the password again")?;
        match rekey_web::password::check_new(password.expose(), confirm.expose(), identities) {
            Ok(()) => return Ok(password),
            Err(e) => eprintln!("{e}; try again."),
        }
    }
}
