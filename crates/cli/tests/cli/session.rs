//! The session file: private, replaced atomically, never printing the token.

use rekey_cli::session::{PendingSignup, Session, SessionError, Store};
use rekey_web::Secret;

fn session(token: &str, user: &str) -> Session {
    Session {
        cloud: "https://cloud.example.com".into(),
        username: user.into(),
        token: Secret::new(token.into()),
    }
}

#[test]
fn round_trips_and_forgets() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Some(dir.path().join("nested/rekey"))).unwrap();
    assert!(store.load_session().unwrap().is_none());
    store.save_session(&session("tok-1", "taro")).unwrap();
    let loaded = store.load_session().unwrap().unwrap();
    assert_eq!(loaded.username, "taro");
    assert_eq!(loaded.token.expose(), "tok-1");
    assert_eq!(loaded.cloud, "https://cloud.example.com");
    assert!(store.remove_session().unwrap());
    assert!(!store.remove_session().unwrap());
    assert!(store.load_session().unwrap().is_none());
}

#[cfg(unix)]
#[test]
fn files_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Some(dir.path().join("rekey"))).unwrap();
    store.save_session(&session("tok", "taro")).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store.session_path()), 0o600);
    assert_eq!(mode(store.dir()), 0o700);
    store
        .save_pending_signup(&PendingSignup {
            cloud: "https://c.example".into(),
            email: "a@b.jp".into(),
            region: "jp".into(),
        })
        .unwrap();
    assert_eq!(mode(&store.dir().join("pending-signup.json")), 0o600);
}

#[cfg(unix)]
#[test]
fn replacing_is_atomic_and_keeps_the_mode() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Some(dir.path().to_path_buf())).unwrap();
    store.save_session(&session("old-token", "taro")).unwrap();
    let path = store.session_path();
    // Loosen the old file: the new one must not inherit that.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let old_inode = std::fs::metadata(&path).unwrap().ino();
    // A reader holding the old file keeps seeing the old content whole.
    let held = std::fs::File::open(&path).unwrap();
    store.save_session(&session("new-token", "hanako")).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_ne!(meta.ino(), old_inode, "a new file was renamed into place");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let old: serde_json::Value = serde_json::from_reader(held).unwrap();
    assert_eq!(old["token"], "old-token");
    let loaded = store.load_session().unwrap().unwrap();
    assert_eq!(loaded.token.expose(), "new-token");
    assert_eq!(loaded.username, "hanako");
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["session.json".to_string()]);
}

#[test]
fn a_damaged_file_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Some(dir.path().to_path_buf())).unwrap();
    std::fs::write(store.session_path(), "{not json").unwrap();
    let err = store.load_session().unwrap_err();
    assert!(
        matches!(&err, SessionError::Damaged { path, .. } if *path == store.session_path()),
        "{err:?}"
    );
}

#[test]
fn debug_output_never_shows_the_token() {
    let s = session("tok-very-secret", "taro");
    let debug = format!("{s:?}");
    assert!(!debug.contains("tok-very-secret"), "{debug}");
    assert!(debug.contains("taro"));
}
