//! Reading a JSON body the seeds' way: every problem with every field found in one pass and
//! answered at once (`invalidFields`), rather than the first one only.

use crate::api::error::{ApiError, FieldErrorKind, InvalidField};
use crate::domain::email::Email;
use crate::domain::error::DomainError;
use secrecy::SecretString;

/// Reads fields out of a JSON object and collects every problem, so a client learns all that is
/// wrong with a request in one answer, in the seeds' `invalidFields` shape.
pub struct Fields {
    map: serde_json::Map<String, serde_json::Value>,
    errors: Vec<InvalidField>,
}

impl Fields {
    pub fn new(map: serde_json::Map<String, serde_json::Value>) -> Self {
        Fields { map, errors: Vec::new() }
    }

    fn lookup(&self, path: &str) -> Option<&serde_json::Value> {
        let mut parts = path.split('.');
        let mut cur = self.map.get(parts.next()?)?;
        for part in parts {
            cur = cur.as_object()?.get(part)?;
        }
        Some(cur).filter(|v| !v.is_null())
    }

    pub fn error(&mut self, field: &str, kind: FieldErrorKind, params: &[&str]) {
        self.errors.push(InvalidField::new(field, kind).with_params(params.iter().map(|p| p.to_string())));
    }

    /// A string at `path` (dots walk into objects) of `min..=max` characters.
    pub fn string(&mut self, path: &str, min: usize, max: usize) -> Option<String> {
        match self.lookup(path) {
            None => {
                self.error(path, FieldErrorKind::Required, &[]);
                None
            }
            Some(serde_json::Value::String(s)) => {
                let len = s.chars().count();
                if len == 0 || s.trim().is_empty() && min > 0 {
                    self.error(path, FieldErrorKind::HasText, &[]);
                    None
                } else if len < min || len > max {
                    self.error(path, FieldErrorKind::Size, &[&min.to_string(), &max.to_string()]);
                    None
                } else {
                    Some(s.clone())
                }
            }
            Some(_) => {
                self.error(path, FieldErrorKind::Regex, &["string"]);
                None
            }
        }
    }

    /// A JSON object at `path`, as it is: a structure another library reads (a WebAuthn
    /// credential), which answers for its own contents.
    pub fn object(&mut self, path: &str) -> Option<serde_json::Value> {
        match self.lookup(path) {
            Some(v @ serde_json::Value::Object(_)) => Some(v.clone()),
            Some(_) => {
                self.error(path, FieldErrorKind::Regex, &["object"]);
                None
            }
            None => {
                self.error(path, FieldErrorKind::Required, &[]);
                None
            }
        }
    }

    /// The whole body, as it is: a structure another library reads (a WebAuthn credential).
    pub fn whole(&self) -> serde_json::Value {
        serde_json::Value::Object(self.map.clone())
    }

    /// A secret string (a password) at `path`, which never shows in a `Debug` or a log line.
    pub fn secret(&mut self, path: &str, min: usize, max: usize) -> Option<SecretString> {
        self.string(path, min, max).map(SecretString::from)
    }

    pub fn optional_string(&mut self, path: &str, min: usize, max: usize) -> Option<String> {
        self.lookup(path)?;
        self.string(path, min, max)
    }

    /// A string at `path` that must be one of `allowed`.
    pub fn one_of(&mut self, path: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let value = self.string(path, 1, 64)?;
        match allowed.iter().find(|a| **a == value) {
            Some(a) => Some(a),
            None => {
                self.error(path, FieldErrorKind::In, allowed);
                None
            }
        }
    }

    /// Whether `field` was already found invalid.
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field_name == field)
    }

    pub fn present(&self, path: &str) -> bool {
        self.lookup(path).is_some()
    }

    /// Ends reading: every problem found, or nothing.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::Invalid(self.errors)) }
    }
}

/// An e-mail address field, parsed into its normal form ([`Email::parse`]).
pub fn email_field(fields: &mut Fields, path: &str) -> Option<Email> {
    let raw = fields.string(path, 3, 254)?;
    let email = Email::parse(&raw);
    if email.is_none() {
        fields.error(path, FieldErrorKind::Regex, &["email"]);
    }
    email
}

/// A passkey login's body, `{"challengeId", "credential"}`, as both surfaces read it: the
/// seeds' 400 for a field missing or malformed, and a wrong credential's answer for fields
/// that are there but unusable.
pub fn passkey_login(mut fields: Fields) -> Result<(String, serde_json::Value), ApiError> {
    let challenge_id = fields.string("challengeId", 1, 64);
    let credential = fields.object("credential");
    fields.finish()?;
    match (challenge_id, credential) {
        (Some(challenge_id), Some(credential)) => Ok((challenge_id, credential)),
        _ => Err(DomainError::BadCredentials.into()),
    }
}
