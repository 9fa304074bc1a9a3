//! TOTP (RFC 6238) over `totp-rs`: SHA-1, 6 digits, 30-second steps, one step of drift either
//! way, and never the same step twice.

use totp_rs::{Algorithm, Builder, Totp};

use crate::clock::Epoch;
use crate::domain::error::BoxError;

pub const STEP_SECS: u64 = 30;
pub const SECRET_BYTES: usize = 20;

fn build(secret: &[u8], account: &str, issuer: &str) -> Result<Totp, BoxError> {
    Ok(Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECS)
        .with_secret(secret.to_vec())
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(issuer.replace(':', "_")))
        .build()?)
}

/// The step a code matches at `now` (within one step of drift), if it is later than
/// `last_step`: a code already used, or an older one, is refused.
pub fn check(secret: &[u8], code: &str, now: Epoch, last_step: Option<u64>) -> Option<u64> {
    let totp = build(secret, "x", "x").ok()?;
    let code = crate::otp::normalize(code)?;
    let step = totp.check(&code, u64::try_from(now).ok()?)?;
    match last_step {
        Some(last) if step <= last => None,
        _ => Some(step),
    }
}

/// The code of time `at`, for tests and for tools that play the authenticator app.
pub fn code_at(secret: &[u8], at: Epoch) -> Result<String, BoxError> {
    Ok(build(secret, "x", "x")?.generate(u64::try_from(at)?).to_string())
}

/// What an authenticator app needs: the base32 secret, the `otpauth://` URI and a PNG QR code
/// of it as a data URI.
pub struct Provisioning {
    pub secret: String,
    pub uri: String,
    pub qr_code: String,
}

pub fn provisioning(secret: &[u8], account: &str, issuer: &str) -> Result<Provisioning, BoxError> {
    let totp = build(secret, account, issuer)?;
    Ok(Provisioning {
        secret: totp_rs::Secret::from(secret.to_vec()).to_base32(),
        uri: totp.to_url()?,
        qr_code: format!("data:image/png;base64,{}", totp.to_qr_base64()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_vector_and_one_step_of_drift() {
        // RFC 6238 appendix B, SHA-1, T = 59: 94287082 (8 digits); the 6-digit code is its tail.
        assert_eq!(code_at(SECRET, 59).unwrap(), "287082");
        let now = 1_111_111_109;
        let code = code_at(SECRET, now).unwrap();
        assert_eq!(code, "081804");
        assert!(check(SECRET, &code, now, None).is_some());
        assert!(check(SECRET, &code, now + 30, None).is_some(), "one step late");
        assert!(check(SECRET, &code, now - 30, None).is_some(), "one step early");
        assert!(check(SECRET, &code, now + 60, None).is_none(), "two steps late");
        assert!(check(SECRET, "000000", now, None).is_none());
    }

    #[test]
    fn a_step_is_never_accepted_twice() {
        let now = 1_700_000_000;
        let code = code_at(SECRET, now).unwrap();
        let step = check(SECRET, &code, now, None).unwrap();
        assert!(check(SECRET, &code, now, Some(step)).is_none());
        let next = code_at(SECRET, now + 30).unwrap();
        assert_eq!(check(SECRET, &next, now + 30, Some(step)), Some(step + 1));
    }

    #[test]
    fn provisioning_gives_an_otpauth_uri_and_a_png() {
        let p = provisioning(SECRET, "jane@example.com", "Auth").unwrap();
        assert_eq!(p.secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert!(p.uri.starts_with("otpauth://totp/Auth:jane%40example.com?"), "{}", p.uri);
        assert!(p.uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
        assert!(p.qr_code.starts_with("data:image/png;base64,iVBOR"));
    }
}
