#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::password::firebase::{FirebaseHash, FirebaseParams};

fn checks(hash: &str, right: &str) {
    let parsed = parse(hash).unwrap_or_else(|e| panic!("{hash}: {e}"));
    assert!(parsed.verify(right.as_bytes()), "{hash} verifies its password");
    assert!(!parsed.verify(b"wrong password"), "{hash} refuses another");
    assert!(parse(&parsed.stored()).unwrap().verify(right.as_bytes()), "{hash} stored form");
}

#[test]
fn bcrypt_from_python_and_node_verifies() {
    // Made by Python's bcrypt and by node's (the bcrypt crate's own vectors).
    checks("$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie", "correctbatteryhorsestapler");
    checks("$2a$04$n4Uy0eSnMfvnESYL.bLwuuj0U/ETSsoTpRT9GVk5bektyVVa5xnIi", "correctbatteryhorsestapler");
    let y = "$2y$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie";
    checks(y, "correctbatteryhorsestapler");
}

#[test]
fn pbkdf2_in_djangos_form_verifies() {
    // hashlib.pbkdf2_hmac('sha256', b'correct horse', b'saltsalt', 1000), Django's layout.
    checks("pbkdf2_sha256$1000$saltsalt$qQDPSZa3Ormyy9oK1Pu0ZLLwP2Svzmx3yu8OvDdq/J0=", "correct horse");
    checks("pbkdf2_sha1$1000$saltsalt$wQoBU7GXMNo2CJC+raijrf6key4=", "correct horse");
}

#[test]
fn scrypt_in_phc_form_verifies() {
    // hashlib.scrypt(b'correct horse', salt=b'0123456789abcdef', n=2**10, r=8, p=1, dklen=32).
    checks("$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$6g3umF+uVrJsObaTZhIbbTlgrvOEFcCItdwSjtPF67M", "correct horse");
}

#[test]
fn argon2_variants_verify() {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
    for alg in [Algorithm::Argon2id, Algorithm::Argon2i, Algorithm::Argon2d] {
        let h = Argon2::new(alg, Version::V0x13, Params::new(1024, 1, 1, None).unwrap())
            .hash_password_with_salt(b"correct horse", b"saltsaltsalt")
            .unwrap()
            .to_string();
        checks(&h, "correct horse");
    }
}

/// Firebase's published test vector (github.com/firebase/scrypt, README).
pub const FIREBASE_SIGNER_KEY: &str =
    "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";

#[test]
fn firebase_scrypt_matches_the_published_test_vector() {
    let params = FirebaseParams::parse(FIREBASE_SIGNER_KEY, "Bw==", "8", "14").unwrap();
    let hash = FirebaseHash::new(
        &params,
        "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
        "42xEC+ixf3L2lw==",
    )
    .unwrap();
    assert!(hash.verify(b"user1password"));
    assert!(!hash.verify(b"user2password"));
    checks(&hash.stored(), "user1password");
    assert_eq!(Foreign::Firebase(hash).scheme(), "firebase-scrypt");
}

#[test]
fn bounds_and_forms_are_refused_with_a_reason_not_the_content() {
    let refused = [
        ("$2b$17$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie", HashError::OutOfBounds("bcrypt cost")),
        ("$2b$03$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie", HashError::OutOfBounds("bcrypt cost")),
        ("$2b$04$short", HashError::Malformed("bcrypt")),
        (
            "pbkdf2_sha256$10000001$salt$qQDPSZa3Ormyy9oK1Pu0ZLLwP2Svzmx3yu8OvDdq/J0=",
            HashError::OutOfBounds("pbkdf2 iterations"),
        ),
        (
            "pbkdf2_sha256$0$salt$qQDPSZa3Ormyy9oK1Pu0ZLLwP2Svzmx3yu8OvDdq/J0=",
            HashError::OutOfBounds("pbkdf2 iterations"),
        ),
        (
            "pbkdf2_sha256$99999999999999999999$s$qQDPSZa3Ormyy9oK1Pu0ZLLwP2Svzmx3yu8OvDdq/J0=",
            HashError::Malformed("pbkdf2"),
        ),
        ("pbkdf2_sha256$1000$salt$not base64", HashError::Malformed("pbkdf2")),
        ("pbkdf2_sha256$1000$salt", HashError::Malformed("pbkdf2")),
        (
            "$scrypt$ln=22,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$6g3umF+uVrJsObaTZhIbbTlgrvOEFcCItdwSjtPF67M",
            HashError::OutOfBounds("scrypt parameters"),
        ),
        (
            "$scrypt$ln=10,r=8,p=17$MDEyMzQ1Njc4OWFiY2RlZg$6g3umF+uVrJsObaTZhIbbTlgrvOEFcCItdwSjtPF67M",
            HashError::OutOfBounds("scrypt parameters"),
        ),
        (
            "$scrypt$ln=10,r=8$MDEyMzQ1Njc4OWFiY2RlZg$6g3umF+uVrJsObaTZhIbbTlgrvOEFcCItdwSjtPF67M",
            HashError::Malformed("scrypt"),
        ),
        (
            "$argon2id$v=19$m=1048576,t=2,p=1$c2FsdHNhbHRzYWx0$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teQ",
            HashError::OutOfBounds("argon2 parameters"),
        ),
        ("$argon2id$garbage", HashError::Malformed("argon2")),
        ("md5$abc$def", HashError::UnknownForm),
        ("plaintext", HashError::UnknownForm),
        ("", HashError::UnknownForm),
    ];
    for (hash, why) in refused {
        assert_eq!(parse(hash), Err(why.clone()), "{hash}");
        assert!(!why.to_string().contains('$'), "the reason carries no content: {why}");
    }
    assert_eq!(parse(&"$2b$".repeat(1000)), Err(HashError::OutOfBounds("password hash length")));
    assert!(FirebaseParams::parse(FIREBASE_SIGNER_KEY, "Bw==", "8", "40").is_err(), "mem_cost bounded");
    assert!(FirebaseParams::parse("not base64!", "Bw==", "8", "14").is_err());
}
