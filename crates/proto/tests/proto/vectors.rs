//! Checks `vectors/v1.json`: every output field must equal what this implementation computes
//! from the inputs beside it. `REKEY_BLESS_VECTORS=1 cargo test -p rekey-proto vectors` rewrites
//! the outputs instead (for a deliberate protocol change, reviewed in the diff).

use std::path::PathBuf;

use rekey_proto::gateway::{B64Vec, CloudMessage, DeviceMessage, KeyCause, ReleaseOutcome};
use rekey_proto::{
    Challenge, CloudBase, CloudSigningKey, DeviceSigningKey, Email, EphemeralSecret, Handshake,
    MasterKey, RecoveryKey, RecoveryQr, RegisterCode, RegistrationQr, Side, TemporaryPassword,
};
use serde_json::{Value, json};

use crate::support::{date, hex, serial, unhex};

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors/v1.json")
}

fn s<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("string field {field} in {case}"))
}

fn n(case: &Value, field: &str) -> i64 {
    case[field]
        .as_i64()
        .unwrap_or_else(|| panic!("number field {field} in {case}"))
}

/// Compares (or, when blessing, sets) each computed output of one case.
struct Checker {
    bless: bool,
    mismatches: Vec<String>,
}

impl Checker {
    fn out(&mut self, section: &str, index: usize, case: &mut Value, field: &str, computed: Value) {
        if self.bless {
            case[field] = computed;
        } else if case[field] != computed {
            self.mismatches.push(format!(
                "{section}[{index}].{field}: file has {}, computed {computed}",
                case[field]
            ));
        }
    }
}

fn recovery_key(case: &Value) -> RecoveryKey {
    RecoveryKey::from_bytes(unhex(s(case, "recovery_key_hex")))
}

fn challenge(case: &Value) -> Challenge {
    Challenge {
        nonce: unhex(s(case, "nonce_hex")),
        expires_at: n(case, "expires_at"),
        email: Email::parse(s(case, "email")).expect("vector e-mail"),
    }
}

#[test]
fn vectors_file_matches_the_implementation() {
    let text = std::fs::read_to_string(path()).expect("vectors/v1.json is readable");
    let mut v: Value = serde_json::from_str(&text).expect("vectors/v1.json is JSON");
    assert_eq!(v["version"], 1);
    let bless = std::env::var_os("REKEY_BLESS_VECTORS").is_some();
    let mut c = Checker {
        bless,
        mismatches: Vec::new(),
    };
    let base = CloudBase::parse(s(&v, "cloud_base")).expect("vector base URL");
    let mut count = 0;

    for (i, case) in v["device_tags"]
        .as_array_mut()
        .expect("device_tags")
        .iter_mut()
        .enumerate()
    {
        let tag = serial(s(case, "serial")).device_tag();
        c.out("device_tags", i, case, "tag", json!(tag));
        count += 1;
    }

    for (i, case) in v["register_codes"]
        .as_array_mut()
        .expect("register_codes")
        .iter_mut()
        .enumerate()
    {
        let code = RegisterCode::from_random(unhex(s(case, "random_hex")));
        let url = RegistrationQr { code: code.clone() }.to_url(&base);
        assert_eq!(
            RegistrationQr::parse(&url).expect("own QR parses").code,
            code
        );
        c.out("register_codes", i, case, "code", json!(code.to_string()));
        c.out("register_codes", i, case, "registration_qr", json!(url));
        count += 1;
    }

    for (i, case) in v["recovery_keys_at_rest"]
        .as_array_mut()
        .expect("recovery_keys_at_rest")
        .iter_mut()
        .enumerate()
    {
        let master = MasterKey::from_bytes(unhex(s(case, "master_key_hex")));
        let serial = serial(s(case, "serial"));
        let epoch = n(case, "epoch") as u32;
        let key = recovery_key(case);
        let sealed = master.seal(&serial, epoch, unhex(s(case, "nonce_hex")), &key);
        assert_eq!(master.open(&serial, epoch, &sealed), Ok(key));
        c.out(
            "recovery_keys_at_rest",
            i,
            case,
            "sealed_hex",
            json!(hex(&sealed)),
        );
        count += 1;
    }

    for (i, case) in v["handshakes"]
        .as_array_mut()
        .expect("handshakes")
        .iter_mut()
        .enumerate()
    {
        let device = DeviceSigningKey::from_seed(unhex(s(case, "device_seed_hex")));
        let cloud = CloudSigningKey::from_seed(unhex(s(case, "cloud_seed_hex")));
        let device_eph = EphemeralSecret::from_bytes(unhex(s(case, "device_ephemeral_secret_hex")));
        let cloud_eph = EphemeralSecret::from_bytes(unhex(s(case, "cloud_ephemeral_secret_hex")));
        let h = Handshake {
            serial: serial(s(case, "serial")),
            device_key: device.public(),
            device_nonce: unhex(s(case, "device_nonce_hex")),
            device_ephemeral: device_eph.public(),
            cloud_key: cloud.public(),
            cloud_nonce: unhex(s(case, "cloud_nonce_hex")),
            cloud_ephemeral: cloud_eph.public(),
            cloud_time: n(case, "cloud_time"),
        };
        let cloud_sig = h.sign_as_cloud(&cloud);
        let device_sig = h.sign_as_device(&device);
        h.verify_cloud(&cloud_sig)
            .expect("cloud signature verifies");
        h.verify_device(&device_sig)
            .expect("device signature verifies");
        let epoch = n(case, "epoch") as u32;
        let key = recovery_key(case);
        let sealed = h
            .session_key(Side::Cloud, &cloud_eph)
            .expect("cloud session key")
            .seal_recovery_key(&h.serial, epoch, &key);
        let opened = h
            .session_key(Side::Device, &device_eph)
            .expect("device session key")
            .open_recovery_key(&h.serial, epoch, &sealed);
        assert_eq!(opened, Ok(key));
        c.out(
            "handshakes",
            i,
            case,
            "device_public_key",
            json!(device.public().to_string()),
        );
        c.out(
            "handshakes",
            i,
            case,
            "cloud_public_key",
            json!(cloud.public().to_string()),
        );
        c.out(
            "handshakes",
            i,
            case,
            "device_ephemeral_public_hex",
            json!(hex(&h.device_ephemeral)),
        );
        c.out(
            "handshakes",
            i,
            case,
            "cloud_ephemeral_public_hex",
            json!(hex(&h.cloud_ephemeral)),
        );
        c.out(
            "handshakes",
            i,
            case,
            "cloud_signature_hex",
            json!(hex(&cloud_sig)),
        );
        c.out(
            "handshakes",
            i,
            case,
            "device_signature_hex",
            json!(hex(&device_sig)),
        );
        c.out(
            "handshakes",
            i,
            case,
            "sealed_recovery_key_hex",
            json!(hex(&sealed)),
        );
        count += 1;
    }

    for (i, case) in v["recovery_qrs"]
        .as_array_mut()
        .expect("recovery_qrs")
        .iter_mut()
        .enumerate()
    {
        let key = recovery_key(case);
        let qr = RecoveryQr::new(&key, serial(s(case, "serial")), challenge(case));
        let url = qr.to_url(&base);
        let parsed = RecoveryQr::parse(&url).expect("own QR parses");
        assert_eq!(parsed, qr);
        parsed
            .verify(&key, qr.challenge.expires_at)
            .expect("own QR verifies");
        c.out("recovery_qrs", i, case, "url", json!(url));
        count += 1;
    }

    for (i, case) in v["temporary_passwords"]
        .as_array_mut()
        .expect("temporary_passwords")
        .iter_mut()
        .enumerate()
    {
        let key = recovery_key(case);
        let serial = serial(s(case, "serial"));
        let seq = n(case, "seq") as u32;
        let code = match s(case, "kind") {
            "date-window" => TemporaryPassword::issue_date_window(
                &key,
                &serial,
                seq,
                date(s(case, "from")),
                date(s(case, "to")),
            ),
            "challenge" => TemporaryPassword::issue_challenge(&key, &serial, seq, &challenge(case)),
            other => panic!("unknown kind {other}"),
        }
        .expect("vector parameters are valid");
        c.out(
            "temporary_passwords",
            i,
            case,
            "code",
            json!(code.to_string()),
        );
        count += 1;
    }

    for (i, case) in v["gateway_frames"]
        .as_array_mut()
        .expect("gateway_frames")
        .iter_mut()
        .enumerate()
    {
        let key_epoch = n(case, "key_epoch") as u32;
        let json = match s(case, "type") {
            "release" => {
                let m = DeviceMessage::Release { key_epoch };
                let text = serde_json::to_string(&m).expect("JSON");
                assert_eq!(serde_json::from_str::<DeviceMessage>(&text).ok(), Some(m));
                text
            }
            "released" => {
                let outcome = match s(case, "outcome") {
                    "released" => ReleaseOutcome::Released,
                    "not_bound" => ReleaseOutcome::NotBound,
                    other => panic!("unknown outcome {other}"),
                };
                let m = CloudMessage::Released { key_epoch, outcome };
                let text = serde_json::to_string(&m).expect("JSON");
                assert_eq!(serde_json::from_str::<CloudMessage>(&text).ok(), Some(m));
                text
            }
            "recovery_key" => {
                let m = CloudMessage::RecoveryKey {
                    epoch: key_epoch,
                    sealed: B64Vec(unhex::<48>(s(case, "sealed_hex")).to_vec()),
                    cause: KeyCause::parse(s(case, "cause")),
                };
                let text = serde_json::to_string(&m).expect("JSON");
                assert_eq!(serde_json::from_str::<CloudMessage>(&text).ok(), Some(m));
                text
            }
            other => panic!("unknown frame type {other}"),
        };
        c.out("gateway_frames", i, case, "json", json!(json));
        count += 1;
    }

    if bless {
        let text = serde_json::to_string_pretty(&v).expect("JSON") + "\n";
        std::fs::write(path(), text).expect("write vectors/v1.json");
        eprintln!("blessed {count} vectors in {}", path().display());
    }
    assert!(
        c.mismatches.is_empty(),
        "vectors differ:\n{}",
        c.mismatches.join("\n")
    );
    assert!(count >= 12, "the vectors file lost cases ({count} checked)");
}
