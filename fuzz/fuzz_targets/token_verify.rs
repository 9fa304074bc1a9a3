//! Any string as a bearer token: verification must refuse it cleanly (it cannot forge a
//! signature), never panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shared::keys::{KeySet, KeySetDocument, generate_generation};
use shared::token;

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        KeySet::from_document(&KeySetDocument { current: generate_generation("fuzz").unwrap(), previous: None, retired: Vec::new() }).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    assert!(token::verify_session_token(keys(), &text, 0).is_err());
    assert!(token::verify_id_token(keys(), &text, "iss", "aud", 0).is_err());
});
