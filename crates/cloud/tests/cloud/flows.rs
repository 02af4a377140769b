//! The preparation flows of the manual (p.4–17) and what must fail on the way, by concern; the
//! helpers they share.

mod account;
mod devices;
mod durability;
mod registration_qr;
mod signup;

pub use account::*;
pub use devices::*;
pub use durability::*;
pub use registration_qr::*;
pub use signup::*;

use rekey_proto::DeviceSigningKey;
use rekey_proto::gateway::CloudMessage;

use crate::support::TestApp;

pub(crate) const PW: &str = "correct horse battery staple";

pub(crate) fn device_key(n: u8) -> DeviceSigningKey {
    DeviceSigningKey::from_seed([n; 32])
}

/// Formats a compact register code as the recorder shows it.
pub(crate) fn grouped(code: &str) -> String {
    format!("{}-{}-{}", &code[0..4], &code[4..8], &code[8..12])
}

/// "My Cloud Devices", once the presence changes handed over so far are written.
pub(crate) async fn devices_page(app: &TestApp) -> String {
    app.state.presence.flush().await;
    let (status, body) = app.get("/devices").await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Whether `m` hands the recorder a recovery key of epoch `n` or later.
pub(crate) fn rec_epoch_at_least(m: &CloudMessage, n: u32) -> bool {
    matches!(m, CloudMessage::RecoveryKey { epoch, .. } if *epoch >= n)
}
