//! The session kept between commands: which cloud, which account, and the session token, in
//! `session.json` in the config directory (`dirs::config_dir()/rekey` unless `--config-dir` or
//! `REKEY_CONFIG_DIR` says otherwise).
//!
//! Files here are written atomically (a temporary file in the same directory, then a rename) and
//! readable only by the user (mode 0600, the directory 0700). Passwords are never stored.

use std::io::Write;
use std::path::{Path, PathBuf};

use rekey_web::Secret;
use serde::{Deserialize, Serialize, Serializer};

/// The file holding the session.
pub const SESSION_FILE: &str = "session.json";
/// The file remembering a sign-up between `--send-code-only` and `--code`.
pub const PENDING_SIGNUP_FILE: &str = "pending-signup.json";

/// Why the stored session could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No config directory: the platform has none and none was given.
    #[error("cannot find a config directory for the session; pass --config-dir")]
    NoConfigDir,
    /// Reading or writing failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not what this program wrote.
    #[error("{path} is damaged ({detail}); delete it and run `rekey login`")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
}

impl SessionError {
    /// The error for people in `lang`.
    pub fn message(&self, lang: rekey_web::Lang) -> String {
        match self {
            Self::NoConfigDir => lang.t("cli-no-config-dir"),
            Self::Io {
                action,
                path,
                source,
            } => {
                let key = match *action {
                    "read" => "cli-io-read",
                    "delete" => "cli-io-delete",
                    "create" => "cli-io-create",
                    "create a file in" => "cli-io-create-file-in",
                    "protect" => "cli-io-protect",
                    "replace" => "cli-io-replace",
                    _ => "cli-io-write",
                };
                lang.t_args(
                    key,
                    &[
                        ("path", path.display().to_string().into()),
                        ("reason", source.to_string().into()),
                    ],
                )
            }
            Self::Damaged { path, detail } => lang.t_args(
                "cli-session-damaged",
                &[
                    ("path", path.display().to_string().into()),
                    ("detail", detail.as_str().into()),
                ],
            ),
        }
    }
}

/// A logged-in session.
#[derive(Debug, Serialize, Deserialize)]
pub struct Session {
    /// The cloud that issued the token; the token is only ever sent there.
    pub cloud: String,
    /// The account's username, for display.
    pub username: String,
    /// The session token.
    #[serde(serialize_with = "expose_secret")]
    pub token: Secret<String>,
}

/// A sign-up whose verification code was requested with `--send-code-only`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignup {
    /// The cloud asked.
    pub cloud: String,
    /// The e-mail address the code went to.
    pub email: String,
    /// The region chosen.
    pub region: String,
}

fn expose_secret<S: Serializer>(secret: &Secret<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

/// The config directory and the files in it.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `dir`, or in the platform's config directory + `/rekey`.
    pub fn new(dir: Option<PathBuf>) -> Result<Self, SessionError> {
        let dir = match dir {
            Some(d) => d,
            None => dirs::config_dir()
                .ok_or(SessionError::NoConfigDir)?
                .join("rekey"),
        };
        Ok(Self { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the session file.
    pub fn session_path(&self) -> PathBuf {
        self.dir.join(SESSION_FILE)
    }

    /// The stored session, if any.
    pub fn load_session(&self) -> Result<Option<Session>, SessionError> {
        self.read_json(SESSION_FILE)
    }

    /// Stores a session, replacing any other.
    pub fn save_session(&self, session: &Session) -> Result<(), SessionError> {
        self.write_json(SESSION_FILE, session)
    }

    /// Forgets the session; `true` if there was one.
    pub fn remove_session(&self) -> Result<bool, SessionError> {
        self.remove(SESSION_FILE)
    }

    /// The pending sign-up, if any.
    pub fn load_pending_signup(&self) -> Result<Option<PendingSignup>, SessionError> {
        self.read_json(PENDING_SIGNUP_FILE)
    }

    /// Remembers a pending sign-up.
    pub fn save_pending_signup(&self, pending: &PendingSignup) -> Result<(), SessionError> {
        self.write_json(PENDING_SIGNUP_FILE, pending)
    }

    /// Forgets the pending sign-up.
    pub fn remove_pending_signup(&self) -> Result<bool, SessionError> {
        self.remove(PENDING_SIGNUP_FILE)
    }

    fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, SessionError> {
        let path = self.dir.join(name);
        let bytes = match std::fs::read(&path) {
            Ok(b) => Secret::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SessionError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        serde_json::from_slice(bytes.expose())
            .map(Some)
            .map_err(|e| SessionError::Damaged {
                path,
                detail: e.to_string(),
            })
    }

    fn write_json<T: Serialize>(&self, name: &str, value: &T) -> Result<(), SessionError> {
        let bytes =
            Secret::new(
                serde_json::to_vec_pretty(value).map_err(|e| SessionError::Damaged {
                    path: self.dir.join(name),
                    detail: e.to_string(),
                })?,
            );
        write_private(&self.dir, name, bytes.expose())
    }

    fn remove(&self, name: &str) -> Result<bool, SessionError> {
        let path = self.dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(SessionError::Io {
                action: "delete",
                path,
                source,
            }),
        }
    }
}

/// Writes `dir/name` atomically with mode 0600: the bytes go to a temporary file in `dir`, which
/// is flushed to disk and renamed over the old file, so a reader sees the old or the new content,
/// never a mix, and the content is never readable by others, not even for a moment.
pub fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SessionError> {
    let io = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| SessionError::Io {
            action,
            path,
            source,
        }
    };
    create_private_dir(dir).map_err(io("create", dir))?;
    // tempfile creates the file with mode 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(io("create a file in", dir))?;
    set_private(tmp.as_file()).map_err(io("protect", tmp.path()))?;
    tmp.write_all(bytes).map_err(io("write", tmp.path()))?;
    tmp.as_file().sync_all().map_err(io("write", tmp.path()))?;
    let path = dir.join(name);
    tmp.persist(&path)
        .map_err(|e| io("replace", &path)(e.error))?;
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        // Make the rename itself durable; failing here loses nothing already written.
        d.sync_all().ok();
    }
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn set_private(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}
