//! `rekey login` and `rekey logout`.

use serde_json::json;

use super::Ctx;
use crate::api::ApiError;
use crate::cli::LoginArgs;
use crate::prompt::stdin_secret;
use crate::session::Session;

/// Logs in and stores the session.
pub async fn login(ctx: &Ctx, args: LoginArgs) -> anyhow::Result<()> {
    let client = ctx.anonymous_client()?;
    let login = match args.login {
        Some(l) => l,
        None => ctx
            .prompt
            .text("cli-label-login", "cli-what-login", "--login")?,
    };
    let password = if args.password_stdin {
        stdin_secret(ctx.lang, "cli-what-password")?
    } else {
        ctx.prompt.password(
            "cli-label-password",
            "cli-what-password",
            "--password-stdin",
        )?
    };
    let logged_in = ctx
        .wait("cli-wait-login", client.login(login.trim(), &password))
        .await?;
    let cloud = client.cloud().to_string();
    ctx.store.save_session(&Session {
        cloud: cloud.clone(),
        username: logged_in.username.clone(),
        token: logged_in.token,
    })?;
    ctx.out.print(
        &ctx.t_args(
            "cli-logged-in",
            &[
                ("cloud", cloud.as_str().into()),
                (
                    "username",
                    crate::output::clean_line(&logged_in.username).into(),
                ),
            ],
        ),
        &json!({ "username": logged_in.username, "cloud": cloud }),
    );
    Ok(())
}

/// Ends the session on the cloud and forgets it here. The session is forgotten even if the
/// cloud cannot be told.
pub async fn logout(ctx: &Ctx) -> anyhow::Result<()> {
    let Some(session) = ctx.store.load_session()? else {
        ctx.out.print(
            &ctx.t("cli-already-logged-out"),
            &json!({ "logged_out": false }),
        );
        return Ok(());
    };
    let cloud = super::parse_cloud(ctx.lang, &session.cloud);
    let told = match cloud {
        Ok(cloud) => {
            let client = ctx.client(cloud, Some(&session))?;
            ctx.wait("cli-wait-logout", client.logout()).await
        }
        Err(e) => Err(ApiError::Setup(e.to_string())),
    };
    ctx.store.remove_session()?;
    match told {
        Ok(()) | Err(ApiError::Unauthorized { .. }) => {}
        Err(e) => eprintln!(
            "{}",
            ctx.t_args(
                "cli-logout-not-told",
                &[("reason", crate::output::clean(&e.message(ctx.lang)).into())],
            )
        ),
    }
    ctx.out
        .print(&ctx.t("cli-logged-out"), &json!({ "logged_out": true }));
    Ok(())
}
