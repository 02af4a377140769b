//! Sign-up in the manual's two orders: the PC's (p.12–13) and the phone's (p.5–7).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::service::accounts;
use crate::state::AppState;
use crate::web::ctx::{Ctx, SESSION_COOKIE, cookie};

use super::*;

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    c: Ctx,
    step: u8,
    /// Where to go once signed up (a local path), carried through the steps.
    next: String,
    username: String,
    email: String,
    region: String,
    regions: Vec<RegionOption>,
    password_hint: String,
    sent_to: String,
}

impl SignupPage {
    fn new(state: &AppState, c: Ctx, step: u8) -> Self {
        let lang = c.lang;
        Self {
            c,
            step,
            next: String::new(),
            username: String::new(),
            email: String::new(),
            region: state.config.regions.first().cloned().unwrap_or_default(),
            regions: regions(state, lang),
            password_hint: password_hint(lang),
            sent_to: String::new(),
        }
    }

    /// `?next=…` for the link back to the first step.
    fn next_query(&self) -> String {
        next_query(&self.next)
    }
}

/// `GET /signup`: the PC order's page (p.12).
pub(crate) async fn signup_page(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = c.lang;
    let mut page = SignupPage::new(&state, c, 1);
    page.next = q.next;
    render(&page, lang)
}

#[derive(Deserialize)]
pub(crate) struct SignupForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    email: String,
}

/// `POST /signup`: "Acquire" — checks the form and e-mails the verification code.
pub(crate) async fn signup(
    State(state): State<AppState>,
    c: Ctx,
    Form(f): Form<SignupForm>,
) -> Response {
    let lang = c.lang;
    let result = {
        let form = accounts::PcSignup {
            username: &f.username,
            password: &f.password,
            confirm: &f.confirm,
            region: &f.region,
            email: &f.email,
        };
        accounts::start_pc_signup(&state, c.client, form, lang).await
    };
    match result {
        Ok(email) => {
            let mut page = SignupPage::new(&state, c, 2);
            page.sent_to = sent_to(lang, email.as_str());
            page.email = email.as_str().to_string();
            page.next = f.next;
            render(&page, lang)
        }
        Err(e) => {
            let mut page = SignupPage::new(&state, c.with_error(&e), 1);
            page.next = f.next;
            page.username = f.username;
            page.email = f.email;
            page.region = f.region;
            render(&page, lang)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct SignupVerifyForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    agree: Option<String>,
}

/// `POST /signup/verify`: the code and the agreement (p.13) — creates the account.
pub(crate) async fn signup_verify(
    State(state): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Form(f): Form<SignupVerifyForm>,
) -> Response {
    let lang = c.lang;
    let result = {
        let form = accounts::FinishSignup {
            email: &f.email,
            code: &f.code,
            password: None,
            agreed: f.agree.is_some(),
            agreement_version: None,
        };
        accounts::finish_signup(&state, c.client, form, lang).await
    };
    match result {
        Ok((_, token)) => logged_in(&state, jar, token, &f.next),
        Err(e) => {
            let mut page = SignupPage::new(&state, c.with_error(&e), 2);
            page.next = f.next;
            page.sent_to = sent_to(lang, &f.email);
            page.email = f.email;
            render(&page, lang)
        }
    }
}

// ----- sign-up, phone order -----

#[derive(Template)]
#[template(path = "m_signup.html")]
struct PhoneSignupPage {
    c: Ctx,
    step: &'static str,
    /// Where to go once signed up (a local path), carried through the steps.
    next: String,
    region: String,
    regions: Vec<RegionOption>,
    email: String,
    code: String,
    sent_to: String,
    password_hint: String,
}

/// `GET /m/signup`: the phone order's first step, the region (p.5).
pub(crate) async fn phone_signup_page(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = c.lang;
    let page = PhoneSignupPage {
        next: q.next,
        region: state.config.regions.first().cloned().unwrap_or_default(),
        regions: regions(&state, lang),
        c,
        step: "region",
        email: String::new(),
        code: String::new(),
        sent_to: String::new(),
        password_hint: password_hint(lang),
    };
    render(&page, lang)
}

#[derive(Deserialize)]
pub(crate) struct PhoneSignupForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    agree: Option<String>,
}

/// `POST /m/signup`: region → e-mail → code → password and agreement (p.5–7).
pub(crate) async fn phone_signup(
    State(state): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Form(f): Form<PhoneSignupForm>,
) -> Response {
    let lang = c.lang;
    // What the step asks; on success, which step comes next.
    let (stay, next): (&'static str, AppResult<&'static str>) = match f.step.as_str() {
        "region" => ("region", Ok("email")),
        "email" => (
            "email",
            accounts::start_phone_signup(&state, c.client, &f.region, &f.email, lang)
                .await
                .map(|_| "code"),
        ),
        "code" => (
            "code",
            accounts::check_signup_code(&state, c.client, &f.email, &f.code)
                .await
                .map(|()| "password"),
        ),
        _ => {
            let form = accounts::FinishSignup {
                email: &f.email,
                code: &f.code,
                password: Some((&f.password, &f.confirm)),
                agreed: f.agree.is_some(),
                agreement_version: None,
            };
            match accounts::finish_signup(&state, c.client, form, lang).await {
                Ok((_, token)) => {
                    // Back to what the user came for (a scanned registration QR code), or the
                    // device list with its welcome.
                    let to = if rekey_web::is_local_path(&f.next) {
                        f.next.as_str()
                    } else {
                        "/devices?welcome=1"
                    };
                    let jar = jar.add(cookie(&state, SESSION_COOKIE, token));
                    return (jar, Redirect::to(to)).into_response();
                }
                Err(e) => ("password", Err(e)),
            }
        }
    };
    let (c, step) = match next {
        Ok(step) => (c, step),
        Err(e) => {
            // A dead code sends the user back to ask for a new one.
            let back = matches!(&e, AppError::Problem(p) if matches!(p.key, "cloud-code-expired" | "cloud-code-too-many" | "cloud-code-none" | "cloud-code-used"));
            (c.with_error(&e), if back { "email" } else { stay })
        }
    };
    let page = PhoneSignupPage {
        next: f.next,
        regions: regions(&state, lang),
        region: f.region,
        sent_to: sent_to(lang, &f.email),
        email: f.email,
        code: f.code,
        c,
        step,
        password_hint: password_hint(lang),
    };
    render(&page, lang)
}
