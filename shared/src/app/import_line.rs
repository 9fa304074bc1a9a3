//! One line of an import file, parsed into the account it creates, or refused with a reason
//! that names the rule broken and never the line's content.

use serde::Deserialize;

use crate::crypto;
use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::model::{
    Factor, FactorChannel, FactorStatus, FactorType, Identity, IdentityId, IdentityType, TotpSecret, User,
};
use crate::password::firebase::{FirebaseHash, FirebaseParams};
use crate::password::foreign;

/// A line longer than this is refused unread (its bytes are skipped, never held).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
const MAX_NAME_CHARS: usize = 256;

/// The line's shape nests three deep; unknown fields are ignored, but not at any depth.
const MAX_DEPTH: usize = 8;

/// How deep the JSON of `bytes` nests (brackets outside strings).
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut most, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                most = most.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    most
}

/// The shape of a line (the names other systems' exports use; only `email` is required).
#[derive(Deserialize)]
struct Line {
    email: String,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    mobile: Option<LineMobile>,
    #[serde(default)]
    mobile_verified: bool,
    #[serde(default)]
    password_hash: Option<String>,
    #[serde(default)]
    firebase_password_hash: Option<FirebaseLine>,
    #[serde(default)]
    totp_secret: Option<String>,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineMobile {
    country_code: String,
    number: String,
}

#[derive(Deserialize)]
struct FirebaseLine {
    algorithm: String,
    hash: String,
    salt: String,
}

/// What the import needs besides the line: the project's Firebase parameters (once per
/// import), the countries SMS may go to, the data key TOTP secrets are sealed under, and now.
pub struct Context<'a> {
    pub firebase: Option<&'a FirebaseParams>,
    pub sms_countries: &'a [String],
    pub data_key: (&'a str, &'a [u8]),
    pub now: Epoch,
}

/// Parses one line (without its newline) into the account it creates.
pub fn parse(bytes: &[u8], cx: &Context<'_>) -> Result<User, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
    if depth(bytes) > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    let line: Line = serde_json::from_str(text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Syntax | Category::Eof => "not a JSON object on one line".to_owned(),
            // serde's message would quote the value: only the category is told.
            Category::Data => "a field is missing or has the wrong type".to_owned(),
            Category::Io => "unreadable".to_owned(),
        }
    })?;
    let email = Email::parse(&line.email).ok_or("malformed email")?.into_string();
    let created_at = match &line.created_at {
        None => cx.now,
        Some(at) => chrono::DateTime::parse_from_rfc3339(at)
            .map_err(|_| "malformed created_at (RFC 3339 expected)")?
            .timestamp(),
    };
    if created_at > cx.now {
        return Err("created_at in the future".into());
    }
    let name = line.name.unwrap_or_default();
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err("name too long or with control characters".into());
    }
    let password_hash = match (&line.password_hash, &line.firebase_password_hash) {
        (Some(_), Some(_)) => return Err("both password_hash and firebase_password_hash".into()),
        (Some(h), None) => foreign::parse(h).map_err(|e| e.to_string())?.stored(),
        (None, Some(f)) => {
            if f.algorithm != "firebase-scrypt" {
                return Err("firebase_password_hash: unknown algorithm".into());
            }
            let params = cx.firebase.ok_or("firebase_password_hash without the project's parameters")?;
            FirebaseHash::new(params, &f.hash, &f.salt).map_err(|e| e.to_string())?.stored()
        }
        // No password: signs in only after the lost-password reset.
        (None, None) => String::new(),
    };
    let user_id = crypto::random_numeric_id().map_err(|_| "no randomness")?;
    let mobile = match &line.mobile {
        None => None,
        Some(m) => Some(
            crate::phone::parse_mobile(&format!("{}{}", m.country_code, m.number), None, cx.sms_countries)
                .map_err(|_| "malformed or unaccepted mobile number")?,
        ),
    };
    let mut user = User {
        identities: vec![Identity {
            id: IdentityId {
                kind: IdentityType::Consumer,
                id: crypto::random_numeric_id().map_err(|_| "no randomness")?,
            },
            name: name.clone(),
        }],
        user_id,
        email,
        name,
        password_hash,
        password_history: Vec::new(),
        password_changed_at: created_at,
        password_expired: false,
        mobile,
        credentials_version: 1,
        last_login_at: None,
        last_login_device: None,
        created_at,
        factors: Vec::new(),
        mfa: Default::default(),
        blocked: line.blocked,
        passkeys: Vec::new(),
        passkey_handle: None,
        pending_email: None,
        moved_from: Vec::new(),
        deleted: false,
        version: 1,
    };
    if line.email_verified {
        user.mfa.email_verified_at = Some(created_at);
    }
    if line.mobile_verified && user.mobile.is_some() {
        // The surface-1 SMS factor and the surface-2 SMS method. Not anchored: this service
        // saw no proof of the mailbox, so a lost-password reset removes it like any such factor.
        user.factors.push(Factor {
            kind: FactorType::Otp,
            channel: FactorChannel::Sms,
            status: FactorStatus::Active,
            device: None,
            anchored: false,
        });
        user.mfa.phone_verified_at = Some(created_at);
    }
    if let Some(secret) = &line.totp_secret {
        let raw = totp_rs::Secret::try_from_base32(secret.trim().trim_end_matches('=').to_uppercase())
            .map_err(|_| "malformed totp_secret (base32 expected)")?;
        let raw: &[u8] = raw.as_ref();
        if !(10..=64).contains(&raw.len()) {
            return Err("totp_secret length out of bounds".into());
        }
        let (kid, key) = cx.data_key;
        user.mfa.totp = Some(TotpSecret {
            kid: kid.to_owned(),
            sealed: crypto::seal(key, user.user_id.as_bytes(), raw).map_err(|_| "no randomness")?,
            verified_at: Some(created_at),
            last_step: None,
            unproven: false,
            anchored: false,
        });
    }
    Ok(user)
}
