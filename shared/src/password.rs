//! Password hashing (Argon2id, OWASP parameters, PHC strings) and the password policy
//! (NIST SP 800-63B: length 8 to 128 as received, no composition rules, refuse the guessable).
//! Hashing runs on the blocking pool so a 16 ms hash never stalls the async executor.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use secrecy::{ExposeSecret, SecretString};

use crate::crypto;
use crate::domain::error::{BoxError, DomainError};

pub mod firebase;
pub mod foreign;
pub use crate::domain::password_policy::{MAX_LENGTH, MIN_LENGTH, MIN_SCORE, PolicyViolation, check_policy};

/// OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

fn hasher() -> Result<Argon2<'static>, BoxError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash(password: &str) -> Result<String, BoxError> {
    let salt = crypto::random_bytes::<16>()?;
    let hash = hasher()?.hash_password_with_salt(password.as_bytes(), &salt).map_err(|e| e.to_string())?;
    Ok(hash.to_string())
}

/// The form of the service's own hashes: Argon2id at its parameters.
pub fn is_native(stored: &str) -> bool {
    stored.starts_with(&format!("$argon2id$v=19$m={MEMORY_KIB},t={ITERATIONS},p={PARALLELISM}$"))
}

/// True when `password` matches the stored hash: the service's Argon2id, or a hash imported
/// from another system ([`foreign`]). A malformed or unknown hash never matches. No padding:
/// this is for the history check; a login's check is [`check`].
pub fn verify(password: &str, phc: &str) -> bool {
    #[cfg(feature = "test-util")]
    crate::testing::tally(&format!("password:{phc}"));
    if is_native(phc) {
        return match hasher() {
            Ok(h) => h.verify_password(password.as_bytes(), phc).is_ok(),
            Err(_) => false,
        };
    }
    foreign::parse(phc).is_ok_and(|f| f.verify(password.as_bytes()))
}

/// What checking a password found: whether it matched, and, when it matched an imported hash,
/// the service's own Argon2id hash of it to store instead (in the write the caller makes
/// anyway: a login's, [`crate::store::SessionStore::open_session`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub matches: bool,
    pub upgraded: Option<String>,
}

/// The one check every password goes through. A native hash: one Argon2id verify. An imported
/// hash: its own scheme's verify, then always one Argon2id computation more: on success the
/// upgrade's hash, on failure a verify against [`dummy_hash`]. So an imported account's answer
/// is never faster than a native one's, however cheap its scheme (PBKDF2 with few iterations,
/// bcrypt at a low cost): the wrong password of a cheap scheme costs what a native one does,
/// plus the cheap verify. (An expensive imported hash, bcrypt at cost 14 say, is slower than a
/// native one until its first login upgrades it: the README says why that is accepted.)
pub fn check(password: &str, stored: &str) -> Result<Checked, BoxError> {
    if is_native(stored) {
        return Ok(Checked { matches: verify(password, stored), upgraded: None });
    }
    let matches = foreign::parse(stored).is_ok_and(|f| f.verify(password.as_bytes()));
    if matches {
        return Ok(Checked { matches, upgraded: Some(hash(password)?) });
    }
    pad();
    Ok(Checked { matches: false, upgraded: None })
}

/// The Argon2id work a failed imported hash's check adds: a verify against [`dummy_hash`].
fn pad() {
    #[cfg(feature = "test-util")]
    crate::testing::tally("password-padding");
    verify("padding", dummy_hash());
}

/// An Argon2id hash, at the service's parameters, of a random password nobody kept: verified
/// against when the account does not exist, so that an unknown email costs the same time as a
/// wrong password. A constant, so no cold start pays for making one.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$xonfbtAx1zXZMOnWCRC1zw$02tybO5HeG08AVkpJCoptNchz7q6BZ8vEb5pWcXXh60"
}

pub async fn hash_blocking(password: SecretString) -> Result<String, DomainError> {
    on_blocking_pool(move || hash(password.expose_secret())).await?.map_err(DomainError::Internal)
}

/// Verifies on the blocking pool; `None` as the hash verifies against [`dummy_hash`] and fails.
pub async fn verify_blocking(password: SecretString, phc: Option<String>) -> Result<bool, DomainError> {
    Ok(check_blocking(password, phc).await?.matches)
}

/// [`check`] on the blocking pool; `None` as the hash checks against [`dummy_hash`] and fails.
pub async fn check_blocking(password: SecretString, phc: Option<String>) -> Result<Checked, DomainError> {
    on_blocking_pool(move || match phc {
        Some(phc) => check(password.expose_secret(), &phc),
        None => {
            verify(password.expose_secret(), dummy_hash());
            Ok(Checked { matches: false, upgraded: None })
        }
    })
    .await?
    .map_err(DomainError::Internal)
}

/// Runs Argon2 work (`work`) on the blocking pool, at most two per core at once: each takes
/// some 19 MiB, and a burst of logins (or of requests cancelled mid-check, whose work still
/// runs) must queue rather than take the server's memory. The permit goes with the work, so a
/// cancelled request's hash still holds its place until it ends.
pub async fn on_blocking_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, DomainError> {
    static PERMITS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        std::sync::Arc::new(tokio::sync::Semaphore::new(cores * 2))
    });
    let permit = std::sync::Arc::clone(permits).acquire_owned().await.map_err(DomainError::internal)?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(DomainError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn argon2_work_runs_at_most_two_per_core_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static RUNNING: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                tokio::spawn(on_blocking_pool(|| {
                    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
                    MOST.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    RUNNING.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        assert!(MOST.load(Ordering::SeqCst) <= cores * 2, "{} at once", MOST.load(Ordering::SeqCst));
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let phc = hash("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery staple", &phc));
        assert!(!verify("correct horse battery stapler", &phc));
        assert!(!verify("anything", "not a phc string"));
        assert_ne!(phc, hash("correct horse battery staple").unwrap(), "salted");
    }

    #[test]
    fn dummy_hash_is_a_real_argon2id_hash_at_our_parameters() {
        assert!(dummy_hash().starts_with(&format!("$argon2id$v=19$m={MEMORY_KIB},t={ITERATIONS},p={PARALLELISM}$")));
        // Well formed: verifying it does the full work and fails (a malformed one fails at once).
        let started = std::time::Instant::now();
        assert!(!verify("correct horse battery staple", dummy_hash()));
        let dummy = started.elapsed();
        let real = hash("x").unwrap();
        let started = std::time::Instant::now();
        assert!(!verify("correct horse battery staple", &real));
        assert!(dummy * 4 > started.elapsed(), "the dummy verify did the real work");
    }

    #[test]
    fn an_imported_hash_is_padded_to_argon2id_on_failure_and_upgraded_on_success() {
        use crate::testing::tallied;
        // PBKDF2 at 1,000 iterations: far cheaper than the service's Argon2id.
        let cheap = "pbkdf2_sha256$1000$saltsalt$qQDPSZa3Ormyy9oK1Pu0ZLLwP2Svzmx3yu8OvDdq/J0=";
        let before = tallied("password-padding");
        assert_eq!(check("wrong password", cheap).unwrap(), Checked { matches: false, upgraded: None });
        assert!(tallied("password-padding") > before, "a failed imported check runs the Argon2id padding");
        let ok = check("correct horse", cheap).unwrap();
        assert!(ok.matches);
        let upgraded = ok.upgraded.unwrap();
        assert!(is_native(&upgraded) && verify("correct horse", &upgraded), "upgraded to the service's Argon2id");
        // A native hash needs neither.
        let native = hash("correct horse").unwrap();
        assert_eq!(check("correct horse", &native).unwrap(), Checked { matches: true, upgraded: None });
        assert!(!is_native(cheap) && is_native(dummy_hash()));
        // An Argon2id hash at other parameters is imported, and upgraded too.
        let other = crate::password::foreign::parse(
            &argon2::Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).unwrap())
                .hash_password_with_salt(b"correct horse", b"saltsaltsalt")
                .unwrap()
                .to_string(),
        )
        .unwrap()
        .stored();
        assert!(!is_native(&other) && check("correct horse", &other).unwrap().upgraded.is_some());
    }

    #[test]
    fn policy_checks_length_as_received() {
        assert_eq!(check_policy("Ab1!x", &[]), Err(PolicyViolation::TooShort));
        assert_eq!(check_policy(&"q7#Lm9vR".repeat(17), &[]), Err(PolicyViolation::TooLong));
        // Seven characters plus a space is eight as received: spaces are not trimmed away.
        assert_ne!(check_policy("gr4v!ty ", &[]), Err(PolicyViolation::TooShort));
        // Unicode counts characters, not bytes.
        assert_eq!(check_policy("ééééééé", &[]), Err(PolicyViolation::TooShort));
    }

    #[test]
    fn policy_refuses_guessable_and_personal_passwords() {
        assert_eq!(check_policy("password", &[]), Err(PolicyViolation::TooSimple));
        assert_eq!(check_policy("12345678", &[]), Err(PolicyViolation::TooSimple));
        assert_eq!(check_policy("jane.doe-2024!", &["jane.doe@example.com"]), Err(PolicyViolation::TooSimple));
        assert_eq!(check_policy("correct horse battery staple", &["jane@example.com"]), Ok(()));
        assert_eq!(check_policy("Tr0ub4dor&3-vintage-lamp", &[]), Ok(()));
    }
}
