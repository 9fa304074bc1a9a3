//! The password policy (NIST SP 800-63B): length 8 to 128 as received, no composition rules,
//! and the guessable refused (zxcvbn, and anything built on the user's e-mail or name).

use super::error::Rule;

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;
/// zxcvbn score under which a password is too guessable (3 = "safely unguessable" for online attacks).
pub const MIN_SCORE: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyViolation {
    TooShort,
    TooLong,
    TooSimple,
}

impl PolicyViolation {
    /// The rule of the account's state this breaks.
    pub fn rule(self) -> Rule {
        match self {
            PolicyViolation::TooShort => Rule::PasswordTooShort,
            PolicyViolation::TooLong => Rule::PasswordTooLong,
            PolicyViolation::TooSimple => Rule::PasswordTooSimple,
        }
    }

    /// Its name in the seeds (a field error's parameter on registration).
    pub fn error_code(self) -> &'static str {
        match self {
            PolicyViolation::TooShort => "PASSWORD_TOO_SHORT",
            PolicyViolation::TooLong => "PASSWORD_TOO_LONG",
            PolicyViolation::TooSimple => "PASSWORD_TOO_SIMPLE",
        }
    }
}

/// Checks a candidate password exactly as received: no trimming, no composition rules.
/// `context` holds what the user is known by (email, name): a password built on them is refused.
pub fn check_policy(password: &str, context: &[&str]) -> Result<(), PolicyViolation> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PolicyViolation::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PolicyViolation::TooLong);
    }
    let lower = password.to_lowercase();
    let mut inputs: Vec<String> = Vec::new();
    for item in context.iter().map(|c| c.trim().to_lowercase()).filter(|c| c.len() >= 3) {
        if let Some((local, _domain)) = item.split_once('@') {
            if local.len() >= 3 && lower.contains(local) {
                return Err(PolicyViolation::TooSimple);
            }
            inputs.push(local.to_owned());
        }
        if lower.contains(&item) {
            return Err(PolicyViolation::TooSimple);
        }
        inputs.push(item);
    }
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    if u8::from(zxcvbn::zxcvbn(password, &refs).score()) < MIN_SCORE {
        return Err(PolicyViolation::TooSimple);
    }
    Ok(())
}
