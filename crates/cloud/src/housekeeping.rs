//! The sweep job: at start and every hour, deletes the rows whose retention ran out
//! ([`crate::store::sweep`]). Every node runs it; it never touches what a user or the protocol
//! still needs.

use std::sync::Arc;
use std::time::Duration;

use rekey_web::Clock;
use tokio::sync::watch;

use crate::store::Store;
use crate::store::sweep::Retention;

/// Time between two sweeps.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Sweeps with `retention` until `stop` turns true (or its sender is gone).
pub async fn run(
    store: Store,
    clock: Arc<dyn Clock>,
    retention: Retention,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        match store.sweep(clock.now(), &retention).await {
            Ok(swept) if swept.total() > 0 => tracing::info!(
                sessions = swept.sessions,
                email_codes = swept.email_codes,
                throttle = swept.throttle,
                mail = swept.mail,
                retrieved = swept.retrieved,
                accounts = swept.accounts,
                transfers = swept.transfers,
                "housekeeping: deleted what ran out"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; trying again later"),
        }
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            r = stop.changed() => {
                if r.is_err() {
                    return;
                }
            }
        }
    }
}
