//! What a one-time code is for: the key of its challenge, one live code per purpose and user.

/// A phone number as part of a code's purpose: a hash, so keys name no number.
fn number_key(e164: &str) -> String {
    crate::crypto::sha256_b64url(e164.as_bytes())[..22].to_owned()
}

/// What a one-time code is for; one live code per purpose and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodePurpose {
    /// Enrolling the SMS factor of surface 1, to one number (the code proves that number).
    FactorSms { destination: String },
    /// Stepping up one session, by SMS (`by_email: false`) or e-mail: the channel is part of
    /// the purpose, so that a code is checked under the rule of the channel it went by.
    StepUp { session_id: String, by_email: bool },
    /// Validating (or proving with) a surface-2 method: `EMAIL`, or `SMS` to one number. The
    /// number is part of the purpose, so a code sent to one number never validates another.
    Method { channel: &'static str, destination: Option<String> },
    /// Resetting a forgotten password (`/passwords/lost_password`): the nonce proves the mailbox,
    /// of one address (a hash in the key: a nonce mailed to the address an account has since
    /// left, by a change or its revert, resets nothing at the address it has now).
    PasswordReset { destination: String },
    /// Proving the account's e-mail address (`/users/verification/email`), one address as above.
    EmailVerification { destination: String },
    /// Proving the new address of an e-mail change, to one address (a hash in the key, so a code
    /// mailed to one address never moves the account to another).
    EmailChange { destination: String },
}

impl CodePurpose {
    pub fn key(&self) -> String {
        match self {
            CodePurpose::FactorSms { destination } => format!("FACTOR#SMS#{destination}"),
            CodePurpose::StepUp { session_id, by_email: false } => format!("STEPUP#{session_id}"),
            CodePurpose::StepUp { session_id, by_email: true } => format!("STEPUP#EMAIL#{session_id}"),
            CodePurpose::Method { channel, destination: None } => format!("METHOD#{channel}"),
            CodePurpose::Method { channel, destination: Some(d) } => format!("METHOD#{channel}#{d}"),
            CodePurpose::PasswordReset { destination } => format!("PASSWORD_RESET#{destination}"),
            CodePurpose::EmailVerification { destination } => format!("EMAIL_VERIFICATION#{destination}"),
            CodePurpose::EmailChange { destination } => format!("EMAIL_CHANGE#{destination}"),
        }
    }

    /// A lost-password nonce mailed to `address`.
    pub fn password_reset(address: &str) -> Self {
        CodePurpose::PasswordReset { destination: number_key(address) }
    }

    /// A code proving `address`, the account's own.
    pub fn email_verification(address: &str) -> Self {
        CodePurpose::EmailVerification { destination: number_key(address) }
    }

    /// A code proving `address`, the new address of an e-mail change.
    pub fn email_change(address: &str) -> Self {
        CodePurpose::EmailChange { destination: number_key(address) }
    }

    /// A code of the SMS method, to `e164`.
    pub fn sms_method(e164: &str) -> Self {
        CodePurpose::Method { channel: "SMS", destination: Some(number_key(e164)) }
    }

    /// A code validating `e164` for an account that had no second factor when it was sent:
    /// void once the account has one.
    pub fn sms_method_first(e164: &str) -> Self {
        CodePurpose::Method { channel: "SMS", destination: Some(format!("{}#first", number_key(e164))) }
    }

    /// A code enrolling the surface-1 SMS factor, to `e164`.
    pub fn sms_factor(e164: &str) -> Self {
        CodePurpose::FactorSms { destination: number_key(e164) }
    }

    /// A code of the e-mail method (to the account's address, which never changes): to prove
    /// with a validated address, or to validate it with proof of another method.
    pub fn email_method() -> Self {
        CodePurpose::Method { channel: "EMAIL", destination: None }
    }

    /// A code validating the e-mail of an account that had no second factor when it was sent:
    /// void once the account has one.
    pub fn email_method_first() -> Self {
        CodePurpose::Method { channel: "EMAIL", destination: Some("first".to_owned()) }
    }
}
