//! Files only the application's own user may read. Both applications' data directories hold
//! secrets (the cloud's SQLite database with its `-wal` and `-shm`, generated keys and, on a local
//! system, the outbox of mails with codes in them; the recorder's state database with its device
//! key, recovery key, password hashes and audit log): directories are made 0700 and files 0600
//! when they are created (on Unix), and ones an earlier version or an operator left readable to
//! others are tightened at start.

use std::io;
use std::path::Path;

/// Makes `dir` and any missing parent, each 0700; leaves existing directories as they are.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes `dir` as [`create_private_dir`] does, and takes group and other permissions away from
/// it if it existed with them: for the application's own directories (data directory, outbox).
pub fn own_private_dir(dir: &Path) -> io::Result<()> {
    create_private_dir(dir)?;
    tighten(dir)
}

/// Takes group and other permissions away from `path` if it exists and has any (Unix).
pub fn tighten(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            return Ok(());
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            let private = mode & 0o700;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(private))?;
            tracing::warn!(
                path = %path.display(),
                from = format!("{mode:o}"),
                to = format!("{private:o}"),
                "made a data file private to the service's user"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates `path` empty with mode 0600 unless it exists (then only [`tighten`]s it).
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => tighten(path),
        Err(e) => Err(e),
    }
}
