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
        None => ctx.prompt.text(
            "Username or e-mail",
            "your username or e-mail address",
            "--login",
        )?,
    };
    let password = if args.password_stdin {
        stdin_secret("password")?
    } else {
        ctx.prompt
            .password("Password", "the password", "--password-stdin")?
    };
    let logged_in = ctx
        .wait("Logging in…", client.login(login.trim(), &password))
        .await?;
    let cloud = client.cloud().to_string();
    ctx.store.save_session(&Session {
        cloud: cloud.clone(),
        username: logged_in.username.clone(),
        token: logged_in.token,
    })?;
    ctx.out.print(
        &format!(
            "Logged in to {cloud} as {}.",
            crate::output::clean_line(&logged_in.username)
        ),
        &json!({ "username": logged_in.username, "cloud": cloud }),
    );
    Ok(())
}

/// Ends the session on the cloud and forgets it here. The session is forgotten even if the
/// cloud cannot be told.
pub async fn logout(ctx: &Ctx) -> anyhow::Result<()> {
    let Some(session) = ctx.store.load_session()? else {
        ctx.out
            .print("Not logged in.", &json!({ "logged_out": false }));
        return Ok(());
    };
    let cloud = super::parse_cloud(&session.cloud);
    let told = match cloud {
        Ok(cloud) => {
            let client = ctx.client(cloud, Some(&session))?;
            ctx.wait("Logging out…", client.logout()).await
        }
        Err(e) => Err(ApiError::Setup(e.to_string())),
    };
    ctx.store.remove_session()?;
    match told {
        Ok(()) | Err(ApiError::Unauthorized { .. }) => {}
        Err(e) => eprintln!(
            "warning: could not tell the cloud ({}); the session was forgotten on this computer",
            crate::output::clean(&e.to_string())
        ),
    }
    ctx.out.print("Logged out.", &json!({ "logged_out": true }));
    Ok(())
}
