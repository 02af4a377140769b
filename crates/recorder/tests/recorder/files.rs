//! The data directory and the state database's files are private to the recorder's user
//! (issue 7: data files were 0644).

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use rekey_proto::{CloudBase, CloudSigningKey};
use rekey_recorder::{Application, Config};
use rekey_web::ManualClock;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

async fn build(dir: &Path) -> Application {
    let config = Config::for_test(
        dir.to_path_buf(),
        CloudBase::parse("http://127.0.0.1:9").unwrap(),
        CloudSigningKey::from_seed([5; 32]).public(),
        Arc::new(ManualClock::new(1_795_000_000)),
    );
    Application::build(config).await.expect("build recorder")
}

fn assert_private(dir: &Path) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for name in ["recorder.db", "recorder.db-wal", "recorder.db-shm"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
}

#[tokio::test]
async fn the_data_directory_and_database_files_are_private() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("nested").join("data");
    let recorder = build(&dir).await;
    assert_private(&dir);
    assert_eq!(
        mode(&parent.path().join("nested")),
        0o700,
        "made parents too"
    );
    recorder.app().store.close().await;
    drop(recorder);

    // Left open by an earlier version or an operator: tightened at the next start.
    set_mode(&dir, 0o755);
    set_mode(&dir.join("recorder.db"), 0o644);
    for name in ["recorder.db-wal", "recorder.db-shm"] {
        if dir.join(name).exists() {
            set_mode(&dir.join(name), 0o644);
        }
    }
    let recorder = build(&dir).await;
    assert_private(&dir);
    recorder.app().store.close().await;
}
