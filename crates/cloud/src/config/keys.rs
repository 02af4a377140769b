//! The master key and the cloud's signing key: read from their files, made by `keygen` (or, in
//! dev mode, when missing), always written readable by their owner only.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rekey_proto::CloudSigningKey;

pub(super) fn decode_key(text: &str, what: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim())
        .with_context(|| format!("{what} is not base64url"))?;
    <[u8; 32]>::try_from(bytes).map_err(|_| anyhow::anyhow!("{what} must be 32 bytes"))
}

/// Reads a base64url key from `path`, or makes one there (mode 0600) if the file is missing.
pub(super) fn key_file(path: &Path, what: &str) -> anyhow::Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => decode_key(&text, what),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = rekey_web::random_array::<32>();
            write_private(path, &URL_SAFE_NO_PAD.encode(key))
                .with_context(|| format!("cannot create {what} file {}", path.display()))?;
            tracing::warn!(path = %path.display(), "generated a new {what}");
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {what} file {}", path.display())),
    }
}

/// Reads a base64url key that must exist (outside dev mode nothing is generated).
pub(super) fn existing_key_file(path: &Path, what: &str) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {what} file {} (`rekey-cloud keygen --dir DIR` makes one)",
            path.display()
        )
    })?;
    decode_key(&text, what)
}

/// `rekey-cloud keygen`: writes a new master key and signing key into `dir` (never over an
/// existing file) and returns the public key recorders pin.
pub fn keygen(dir: &Path) -> anyhow::Result<String> {
    let master = dir.join("master.key");
    let signing = dir.join("cloud-signing.key");
    for path in [&master, &signing] {
        if path.exists() {
            bail!(
                "{} exists already; keys are never overwritten",
                path.display()
            );
        }
    }
    let seed = rekey_web::random_array::<32>();
    write_private(
        &master,
        &URL_SAFE_NO_PAD.encode(rekey_web::random_array::<32>()),
    )
    .with_context(|| format!("cannot write {}", master.display()))?;
    write_private(&signing, &URL_SAFE_NO_PAD.encode(seed))
        .with_context(|| format!("cannot write {}", signing.display()))?;
    Ok(CloudSigningKey::from_seed(seed).public().to_string())
}

/// Writes a file readable only by its owner, atomically (temporary file, then rename).
pub(super) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        rekey_web::files::create_private_dir(dir)?;
    }
    let tmp = path.with_extension("tmp");
    // A leftover temporary file would keep its mode: start from a new one.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
