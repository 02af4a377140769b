//! The audit log's events: what happened to the recorder's accounts, recovery and cloud link.

use rekey_proto::gateway::KeyCause;

use crate::store::AuditEntry;

/// An event written to the audit log. The code is stored; the admin sees its catalog message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The admin password was set on first start.
    Activated,
    /// A user logged in.
    LoginSucceeded,
    /// A login failed (wrong name or password).
    LoginFailed,
    /// Too many failed logins locked a user name or client address for a while.
    LoginLocked,
    /// A user logged out.
    Logout,
    /// A user's e-mail address was set, changed or removed.
    EmailChanged,
    /// A user was added.
    UserAdded,
    /// "Forgot password?" made a new recovery challenge.
    RecoveryRequested,
    /// "Forgot password?" was refused by a request limit (the detail says which).
    RecoveryRequestRefused,
    /// A temporary password was accepted and the admin password reset.
    RecoverySucceeded,
    /// A temporary password was refused (the detail says why).
    RecoveryFailed,
    /// Too many refused temporary passwords locked the recovery screen.
    RecoveryLocked,
    /// The admin enabled the cloud.
    CloudEnabled,
    /// The admin disabled the cloud.
    CloudDisabled,
    /// The admin released the recorder from its cloud account (sent to the cloud at once or
    /// at its next connection).
    CloudReleaseRequested,
    /// A release was refused: the admin password typed again was wrong.
    CloudReleaseRefused,
    /// The cloud answered a release (the detail says `released`, or `not-bound` when that
    /// registration had already ended).
    CloudReleased,
    /// The recorder enrolled with the cloud and received its first recovery key.
    CloudEnrolled,
    /// An account registered the recorder (its recovery key changed with it).
    CloudRegistered,
    /// Its account handed it over to another account, which accepted: a new recovery key, so
    /// the former account's temporary passwords no longer work.
    CloudTransferred,
    /// Its cloud account was deleted, which released it (a new recovery key and register code).
    CloudAccountDeleted,
    /// The cloud changed the recovery key without saying why (an older cloud).
    CloudKeyChanged,
}

impl Event {
    /// Every event, for mapping stored codes back.
    pub const ALL: [Event; 22] = [
        Event::Activated,
        Event::LoginSucceeded,
        Event::LoginFailed,
        Event::LoginLocked,
        Event::Logout,
        Event::EmailChanged,
        Event::UserAdded,
        Event::RecoveryRequested,
        Event::RecoveryRequestRefused,
        Event::RecoverySucceeded,
        Event::RecoveryFailed,
        Event::RecoveryLocked,
        Event::CloudEnabled,
        Event::CloudDisabled,
        Event::CloudReleaseRequested,
        Event::CloudReleaseRefused,
        Event::CloudReleased,
        Event::CloudEnrolled,
        Event::CloudRegistered,
        Event::CloudTransferred,
        Event::CloudAccountDeleted,
        Event::CloudKeyChanged,
    ];

    /// The stored code; the catalog message is `audit-event-{code}`.
    pub fn code(self) -> &'static str {
        match self {
            Event::Activated => "activated",
            Event::LoginSucceeded => "login-succeeded",
            Event::LoginFailed => "login-failed",
            Event::LoginLocked => "login-locked",
            Event::Logout => "logout",
            Event::EmailChanged => "email-changed",
            Event::UserAdded => "user-added",
            Event::RecoveryRequested => "recovery-requested",
            Event::RecoveryRequestRefused => "recovery-request-refused",
            Event::RecoverySucceeded => "recovery-succeeded",
            Event::RecoveryFailed => "recovery-failed",
            Event::RecoveryLocked => "recovery-locked",
            Event::CloudEnabled => "cloud-enabled",
            Event::CloudDisabled => "cloud-disabled",
            Event::CloudReleaseRequested => "cloud-release-requested",
            Event::CloudReleaseRefused => "cloud-release-refused",
            Event::CloudReleased => "cloud-released",
            Event::CloudEnrolled => "cloud-enrolled",
            Event::CloudRegistered => "cloud-registered",
            Event::CloudTransferred => "cloud-transferred",
            Event::CloudAccountDeleted => "cloud-account-deleted",
            Event::CloudKeyChanged => "cloud-key-changed",
        }
    }

    /// What a new recovery key from the cloud means for the log, by the cause the cloud gave;
    /// `None` for a release, whose answer (`released`) is logged already.
    pub fn of_new_key(cause: KeyCause) -> Option<Self> {
        match cause {
            KeyCause::Enrolled => Some(Event::CloudEnrolled),
            KeyCause::Bound => Some(Event::CloudRegistered),
            KeyCause::Transferred => Some(Event::CloudTransferred),
            KeyCause::AccountDeleted => Some(Event::CloudAccountDeleted),
            KeyCause::Released => None,
            KeyCause::Unknown => Some(Event::CloudKeyChanged),
        }
    }

    /// The event of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// An entry for this event at `at`.
    pub fn entry(self, at: i64) -> AuditEntry {
        AuditEntry {
            at,
            event: self.code().to_owned(),
            user_name: None,
            client: None,
            detail: None,
        }
    }
}

impl AuditEntry {
    /// Names the user concerned.
    pub fn user(mut self, name: &str) -> Self {
        self.user_name = Some(name.to_owned());
        self
    }

    /// Names the client address.
    pub fn client(mut self, client: Option<String>) -> Self {
        self.client = client;
        self
    }

    /// Adds a machine-readable detail (a reason code), never a secret.
    pub fn detail(mut self, detail: &str) -> Self {
        self.detail = Some(detail.to_owned());
        self
    }
}
