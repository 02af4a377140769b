//! The reference for a reconnect's CPU: what the cloud's side of one handshake spends on
//! cryptography alone (docs/protocol.md §3: an X25519 key pair and agreement, an Ed25519
//! signature over the challenge, and the verification of the recorder's proof), timed on this
//! machine in the same run as the servers.

use rekey_proto::{CloudSigningKey, DeviceSigningKey, EphemeralSecret, Handshake, Serial, Side};
use rustix::time::{ClockId, clock_gettime};

/// Handshakes timed: about half a second of CPU on the 2-core machine.
const ROUNDS: u32 = 2_000;

/// The calling thread's CPU time (user + system), in seconds.
fn thread_cpu_secs() -> f64 {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// The cloud's cryptography for one handshake, in CPU seconds: the mean over [`ROUNDS`]
/// handshakes on a thread of its own (nothing else runs on it, so its CPU clock counts only
/// this work).
pub fn cloud_handshake_secs() -> anyhow::Result<f64> {
    let cloud = CloudSigningKey::from_seed([7; 32]);
    let device = DeviceSigningKey::from_seed([9; 32]);
    let device_ephemeral = EphemeralSecret::from_bytes([11; 32]);
    let serial = Serial::parse("LG0000000001")?;
    let mut handshake = Handshake {
        serial,
        device_key: device.public(),
        device_nonce: [1; 32],
        device_ephemeral: device_ephemeral.public(),
        cloud_key: cloud.public(),
        cloud_nonce: [2; 32],
        cloud_ephemeral: [0; 32],
        cloud_time: 1_700_000_000,
    };
    let proof = handshake.sign_as_device(&device);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let start = thread_cpu_secs();
                for round in 0..ROUNDS {
                    // What `gateway::session::handshake` does for each connection.
                    let mut seed = [3; 32];
                    seed[..4].copy_from_slice(&round.to_le_bytes());
                    let ephemeral = EphemeralSecret::from_bytes(seed);
                    handshake.cloud_ephemeral = ephemeral.public();
                    std::hint::black_box(handshake.sign_as_cloud(&cloud));
                    // The proof covers the first cloud ephemeral only: verifying it costs the
                    // same whether or not it matches.
                    let _ = std::hint::black_box(handshake.verify_device(&proof));
                    std::hint::black_box(handshake.session_key(Side::Cloud, &ephemeral)?);
                }
                Ok((thread_cpu_secs() - start) / f64::from(ROUNDS))
            })
            .join()
            .map_err(|_| anyhow::anyhow!("the cryptography reference panicked"))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_costs_some_cpu() {
        let secs = cloud_handshake_secs().unwrap();
        assert!(secs > 0.0 && secs < 0.1, "{secs}");
    }
}
