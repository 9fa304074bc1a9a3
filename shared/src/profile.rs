//! The surface-2 user profile, exactly as seed 002 names its fields, with personal data
//! obfuscated: `j***e@example.com`, `+44*******123`.

use chrono::{DateTime, SecondsFormat};
use serde_json::{Map, Value, json};

use crate::clock::Epoch;
use crate::model::{Lockout, User};

pub fn iso8601(at: Epoch) -> String {
    DateTime::from_timestamp(at, 0).map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
}

/// `jane@example.com` → `j***e@example.com`; a one-letter local part becomes `*`.
pub fn obfuscate_email(email: &str) -> String {
    let Some((local, domain)) = email.split_once('@') else { return "***".into() };
    let chars: Vec<char> = local.chars().collect();
    let masked = match chars.as_slice() {
        [] | [_] => "*".to_owned(),
        [first, .., last] => format!("{first}***{last}"),
    };
    format!("{masked}@{domain}")
}

/// `+447700900123` with country code `44` → `+44*******123`.
pub fn obfuscate_phone(country_code: &str, e164: &str) -> String {
    let cc = country_code.trim_start_matches('+');
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    let national = digits.strip_prefix(cc).unwrap_or(&digits);
    let keep = national.len().min(3);
    let hidden = national.len() - keep;
    format!("+{cc}{}{}", "*".repeat(hidden), &national[hidden..])
}

pub fn status(user: &User, lockout: &Lockout, now: Epoch) -> &'static str {
    if user.blocked {
        "BLOCKED"
    } else if lockout.is_locked(now) {
        "LOCKED"
    } else {
        "ACTIVE"
    }
}

pub fn profile(user: &User, lockout: &Lockout, now: Epoch) -> Value {
    let mut p = Map::new();
    let mut date = |key: &str, at: Option<Epoch>| {
        if let Some(at) = at {
            p.insert(key.to_owned(), json!(iso8601(at)));
        }
    };
    date("emailVerificationDate", user.mfa.email_verified_at);
    date("secretVerificationDate", user.mfa.totp.as_ref().and_then(|t| t.verified_at));
    date("phoneVerificationDate", user.mfa.phone_verified_at);
    p.insert("email".into(), json!(obfuscate_email(&user.email)));
    p.insert("hasValidatedEmail".into(), json!(user.mfa.email_verified_at.is_some()));
    p.insert("hasValidatedSecret".into(), json!(user.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_some())));
    if let Some(m) = &user.mobile {
        p.insert("phoneNumber".into(), json!(obfuscate_phone(&m.country_code, &m.e164())));
    }
    p.insert("hasValidatedPhone".into(), json!(user.mfa.phone_verified_at.is_some()));
    p.insert("lastLoggedDate".into(), json!(iso8601(user.last_login_at.unwrap_or(user.created_at))));
    p.insert("status".into(), json!(status(user, lockout, now)));
    p.insert("lastLoggedDevice".into(), json!(user.last_login_device.clone().unwrap_or_else(|| "unknown".into())));
    p.insert("lastPasswordChangeDate".into(), json!(iso8601(user.password_changed_at)));
    Value::Object(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obfuscation_keeps_only_the_edges() {
        assert_eq!(obfuscate_email("jane@example.com"), "j***e@example.com");
        assert_eq!(obfuscate_email("j@example.com"), "*@example.com");
        assert_eq!(obfuscate_phone("+44", "+447700900123"), "+44*******123");
        assert_eq!(obfuscate_phone("+1", "+12025550123"), "+1*******123");
    }

    #[test]
    fn dates_are_iso8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
