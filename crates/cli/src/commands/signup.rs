//! `rekey signup`, in the phone app's order: region, e-mail address, verification code,
//! password, service agreement.

use anyhow::Context;
use rekey_proto::{Email, EmailError};
use rekey_web::Secret;
use serde_json::json;

use super::{Ctx, with_code_retries};
use crate::UsageError;
use crate::api::{Client, Region};
use crate::cli::SignupArgs;
use crate::lang::duration;
use crate::output::clean_line;
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
                "cli-wait-send-code",
                client.signup_code(email.as_str(), &region),
            )
            .await?;
        ctx.store.save_pending_signup(&PendingSignup {
            cloud: cloud.clone(),
            email: email.to_string(),
            region: region.clone(),
        })?;
        let note = ctx.t_args(
            "cli-signup-code-sent",
            &[
                ("email", email.to_string().into()),
                ("duration", duration(ctx.lang, sent.expires_in_secs).into()),
            ],
        );
        if args.send_code_only {
            let then = format!(
                "rekey signup --email {email} --code CODE --password-stdin --accept-agreement"
            );
            ctx.out.print(
                &format!(
                    "{note}\n{}",
                    ctx.t_args("cli-then-run", &[("command", then.into())])
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
                return Err(UsageError(ctx.t("cli-region-needed")).into());
            }
        };
        (email, region, args.code)
    };

    let code = with_code_retries(ctx, given_code, |code| {
        let client = &client;
        let email = email.as_str();
        async move {
            ctx.wait("cli-wait-check-code", client.signup_verify(email, &code))
                .await
                .map(|()| code)
        }
    })
    .await?;

    let password = new_password(ctx, args.password_stdin, &[email.as_str()])?;

    let agreement = ctx.wait("cli-wait-agreement", client.agreement()).await?;
    let accepted = if args.accept_agreement {
        true
    } else {
        ctx.prompt
            .require("cli-what-agreement", "--accept-agreement")?;
        eprintln!(
            "{}",
            ctx.t_args(
                "cli-agreement-shown",
                &[
                    ("version", clean_line(&agreement.version).into()),
                    ("url", clean_line(&agreement.url).into()),
                ],
            )
        );
        ctx.prompt
            .confirm(&ctx.t("cli-agreement-question"), "--accept-agreement")?
    };
    if !accepted {
        anyhow::bail!(ctx.t("cli-agreement-refused"));
    }

    let logged_in = ctx
        .wait(
            "cli-wait-signup",
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
            "{}\n{}",
            ctx.t_args(
                "cli-signed-up",
                &[("username", clean_line(&logged_in.username).into())],
            ),
            ctx.t("cli-username-hint")
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
            .text("cli-label-email", "cli-what-email", "--email")?,
    };
    Email::parse(&text).map_err(|e| {
        let key = match e {
            EmailError::Length => "cli-email-length",
            EmailError::Shape => "cli-email-shape",
        };
        let max = i64::try_from(rekey_proto::EMAIL_MAX_LEN).unwrap_or(i64::MAX);
        let problem = ctx.t_args(key, &[("max", max.into())]);
        UsageError(format!("{:?}: {problem}", text.trim())).into()
    })
}

/// The region: `given` checked against the cloud's list, or chosen from it at the terminal.
async fn choose_region(ctx: &Ctx, client: &Client, given: Option<&str>) -> anyhow::Result<String> {
    if given.is_none() {
        ctx.prompt.require("cli-what-region", "--region")?;
    }
    let regions = ctx.wait("cli-wait-regions", client.regions()).await?;
    if regions.is_empty() {
        anyhow::bail!(ctx.t("cli-no-regions"));
    }
    if let Some(given) = given {
        let given = given.trim();
        return find_region(&regions, given)
            .map(|r| r.code.clone())
            .ok_or_else(|| {
                UsageError(ctx.t_args(
                    "cli-unknown-region",
                    &[
                        ("region", format!("{given:?}").into()),
                        ("regions", region_list(&regions).into()),
                    ],
                ))
                .into()
            });
    }
    if let [only] = regions.as_slice() {
        eprintln!(
            "{}",
            ctx.t_args(
                "cli-region-only",
                &[
                    ("name", clean_line(&only.name).into()),
                    ("code", clean_line(&only.code).into()),
                ],
            )
        );
        return Ok(only.code.clone());
    }
    eprintln!("{}", ctx.t("cli-regions"));
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
            .text("cli-label-region", "cli-what-region", "--region")?;
        let by_number = answer
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| regions.get(i));
        if let Some(r) = by_number.or_else(|| find_region(&regions, &answer)) {
            return Ok(r.code.clone());
        }
        eprintln!(
            "{}",
            ctx.t_args(
                "cli-choose-region",
                &[("regions", region_list(&regions).into())]
            )
        );
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
        let password = stdin_secret(ctx.lang, "cli-what-new-password")?;
        rekey_web::password::check_new(password.expose(), password.expose(), identities).map_err(
            |e| {
                UsageError(ctx.t_args(
                    "cli-password-choose-another",
                    &[("reason", password_problem(ctx, &e).into())],
                ))
            },
        )?;
        return Ok(password);
    }
    if !ctx.prompt.is_interactive() {
        return Err(missing(ctx.lang, "cli-what-new-password", "--password-stdin").into());
    }
    let min = i64::try_from(rekey_web::password::MIN_CHARS).unwrap_or(i64::MAX);
    eprintln!(
        "{}",
        ctx.t_args("cli-password-rule", &[("min", min.into())])
    );
    loop {
        let password = ctx.prompt.password(
            "cli-label-new-password",
            "cli-what-new-password",
            "--password-stdin",
        )?;
        let confirm = ctx
            .prompt
            .password(
                "cli-label-repeat-password",
                "cli-what-new-password",
                "--password-stdin",
            )
            .with_context(|| ctx.t("cli-cannot-read-password-again"))?;
        match rekey_web::password::check_new(password.expose(), confirm.expose(), identities) {
            Ok(()) => return Ok(password),
            Err(e) => eprintln!(
                "{}",
                ctx.t_args(
                    "cli-password-try-again",
                    &[("reason", password_problem(ctx, &e).into())],
                )
            ),
        }
    }
}

/// What is wrong with a new password, in the context's language (the cloud's own words).
fn password_problem(ctx: &Ctx, e: &rekey_web::password::PasswordError) -> String {
    let limit = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    ctx.t_args(
        e.message_key(),
        &[
            ("min", limit(rekey_web::password::MIN_CHARS).into()),
            ("max", limit(rekey_web::password::MAX_CHARS).into()),
        ],
    )
}
