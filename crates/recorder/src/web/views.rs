//! The pages, as askama templates under `crates/recorder/templates/`. Every user-facing string
//! comes from the message catalogs through [`Chrome::t`] or is computed from them in Rust.

use askama::Template;
use rekey_web::Lang;
use rekey_web::i18n::Message;

/// What every page shows around its content: language, the logged-in user and the menu.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's language.
    pub lang: Lang,
    /// The logged-in user's name, if any.
    pub user: Option<String>,
    /// Whether the logged-in user is the admin.
    pub is_admin: bool,
    /// The CSRF token of the page's forms.
    pub csrf: String,
    /// The page's path, for the language switcher to come back to.
    pub path: String,
    /// The recorder's time zone (IANA name) its times are shown in; empty on error pages.
    pub time_zone: String,
}

impl Chrome {
    /// The catalog message `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The languages of the switcher.
    pub fn langs(&self) -> [Lang; 2] {
        Lang::ALL
    }
}

/// A page with a title and a message (errors, "forbidden", "not found").
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub title: String,
    pub message: Message,
}

/// First start: set the admin password.
#[derive(Template)]
#[template(path = "activate.html")]
pub struct ActivatePage {
    pub chrome: Chrome,
    pub error: Option<Message>,
    pub email: String,
}

/// The login screen.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub notice: Option<Message>,
    pub error: Option<Message>,
    pub username: String,
}

/// Menu → Network → Cloud.
#[derive(Template)]
#[template(path = "cloud.html")]
pub struct CloudPage {
    pub chrome: Chrome,
    pub notice: Option<Message>,
    pub enabled: bool,
    pub server: String,
    pub serial: String,
    pub status: String,
    pub status_code: &'static str,
    pub last_error: Option<Message>,
    pub register_code: Option<String>,
    /// The registration QR's URL, for opening it on the device showing this page.
    pub register_link: Option<String>,
    pub bound: bool,
    pub drift: Option<String>,
    pub has_recovery_key: bool,
    /// Release from the cloud account: offered while registered.
    pub release: ReleaseView,
}

/// The release section of the cloud page.
#[derive(Debug, Clone, Default)]
pub struct ReleaseView {
    /// The recorder is registered: the form is shown.
    pub offered: bool,
    /// A release waits for the next connection.
    pub pending: bool,
    /// Why the last try was refused.
    pub error: Option<rekey_web::i18n::Message>,
}

/// One row of the users page.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub name: String,
    pub email: String,
    pub role: String,
}

/// The users page.
#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub notice: Option<Message>,
    pub error: Option<Message>,
    pub users: Vec<UserRow>,
    pub admin_email: String,
}

/// One row of the audit log.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: String,
    /// How many identical events the entry stands for, and the last one's time (empty: one).
    pub repeated: String,
    /// The event's code (`login-failed`), carried as `data-event`.
    pub code: String,
    pub event: String,
    /// The stored detail code, carried as `data-detail`.
    pub detail_code: String,
    pub user: String,
    pub client: String,
    pub detail: String,
}

/// The audit log.
#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub rows: Vec<AuditRow>,
}

/// "Forgot password?": where the temporary password goes.
#[derive(Template)]
#[template(path = "forgot.html")]
pub struct ForgotPage {
    pub chrome: Chrome,
    pub masked_email: Option<String>,
    pub error: Option<Message>,
    /// A request limit refused the request: when to try again.
    pub limited: Option<Message>,
    pub no_key: bool,
    pub email: String,
}

/// The "Password recovery" screen.
#[derive(Template)]
#[template(path = "recovery.html")]
pub struct RecoveryPage {
    pub chrome: Chrome,
    pub no_key: bool,
    pub qr: Option<QrInfo>,
    pub errors: Vec<Message>,
    pub lock: Option<Message>,
    pub code: String,
}

/// The recovery QR's caption.
#[derive(Debug, Clone)]
pub struct QrInfo {
    /// The recovery QR's URL, for opening it on the device showing this page.
    pub url: String,
    pub masked_email: String,
    pub expires: String,
}
