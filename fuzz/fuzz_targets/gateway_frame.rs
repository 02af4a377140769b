//! The gateway's JSON text frames: `DeviceMessage` as the cloud reads it from a recorder (or
//! anyone who opens a WebSocket), `CloudMessage` as the recorder reads it from the server.
//!
//! Property: a frame that parses re-serialises to JSON that parses to the same message; a
//! `binding` register code goes through `RegisterCode::parse` as the recorder does.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rekey_proto::RegisterCode;
use rekey_proto::gateway::{Binding, CloudMessage, DeviceMessage};

fn register_code(binding: &Binding) {
    if let Binding::Unbound { register_code } = binding {
        let _ = RegisterCode::parse(register_code);
    }
}

fuzz_target!(|data: &[u8]| {
    // A WebSocket text frame is valid UTF-8; the servers parse it with `serde_json::from_str`.
    let Ok(frame) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(message) = serde_json::from_str::<DeviceMessage>(frame) {
        let json = serde_json::to_string(&message).expect("a message serialises");
        assert_eq!(
            serde_json::from_str::<DeviceMessage>(&json).as_ref().ok(),
            Some(&message),
            "{json}"
        );
    }
    if let Ok(message) = serde_json::from_str::<CloudMessage>(frame) {
        let json = serde_json::to_string(&message).expect("a message serialises");
        assert_eq!(
            serde_json::from_str::<CloudMessage>(&json).as_ref().ok(),
            Some(&message),
            "{json}"
        );
        match &message {
            CloudMessage::Welcome { binding, .. } | CloudMessage::Binding { binding } => {
                register_code(binding)
            }
            _ => {}
        }
    }
});
