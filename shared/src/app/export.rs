//! The account's data for its owner (GDPR art. 15 and 20): `GET /users/me/export`, with an
//! ACCESS token or an idToken. Everything the service keeps of the account that its owner may
//! read, and never a secret: no password hash, TOTP secret, public key, push endpoint, code,
//! nonce or token. Budgeted per account ([`EXPORTS_PER_DAY`]), since it reads the whole trail.

use serde_json::{Value, json};

use crate::app::App;
use crate::app::limits::Budget;
use crate::domain::Epoch;
use crate::domain::error::DomainError;
use crate::metrics::BudgetKind;
use crate::model::{Lockout, User};
use crate::profile::iso8601;

/// Exports per account per day (a sliding day).
pub const EXPORTS_PER_DAY: u32 = 5;

/// The key of the account's export budget (erased with the account).
pub fn budget_key(user_id: &str) -> String {
    format!("export:{user_id}")
}

fn at(epoch: Option<Epoch>) -> Value {
    epoch.map_or(Value::Null, |e| Value::String(iso8601(e)))
}

/// The export of `user` (whose counter is `lockout`), for the login `current`: charged to the
/// account's budget first (429 when spent).
pub async fn export(app: &App, user: &User, lockout: &Lockout, current: &str) -> Result<Value, DomainError> {
    let budget = Budget {
        kind: BudgetKind::ExportPerAccount,
        key: budget_key(&user.user_id),
        limit: EXPORTS_PER_DAY,
        window_secs: 86_400,
        sliding: true,
    };
    crate::app::limits::charge(app, &[budget]).await?;
    let now = app.now();
    let logins = crate::app::logins::list(app, &user.user_id, current, now).await?;
    let logins: Vec<Value> = logins
        .iter()
        .map(|l| {
            json!({
                "id": l.id,
                "surface": match l.surface { crate::app::logins::Surface::One => 1, crate::app::logins::Surface::Two => 2 },
                "createdAt": iso8601(l.created_at),
                "lastUsedAt": iso8601(l.last_used_at),
                "userAgent": l.user_agent,
                "sourceIp": l.source_ip,
                "current": l.current,
            })
        })
        .collect();
    let devices = crate::app::devices::list(app, &user.user_id).await?;
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = crate::app::events::trail(app, &user.user_id, cursor.as_deref(), 100).await?;
        events.extend(page.iter().map(crate::app::events::view));
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    Ok(json!({
        "exportedAt": iso8601(now),
        "account": account(user, lockout, now),
        "identities": user.identities,
        "factors": factors(user),
        "methods": methods(user),
        "passkeys": user.passkeys.iter().map(|p| json!({
            "credentialId": p.credential_id,
            "createdAt": iso8601(p.created_at),
            "lastUsedAt": at(p.last_used_at),
        })).collect::<Vec<_>>(),
        "logins": logins,
        // The devices the account signed in from within 90 days (for new-device notices).
        "knownDevices": devices.iter().map(crate::app::devices::view).collect::<Vec<_>>(),
        "securityEvents": events,
    }))
}

fn account(user: &User, lockout: &Lockout, now: Epoch) -> Value {
    json!({
        "userId": user.user_id,
        "email": user.email,
        "emailVerified": user.mfa.email_verified_at.is_some(),
        "emailVerifiedAt": at(user.mfa.email_verified_at),
        "name": user.name,
        "mobile": user.mobile.as_ref().map(|m| json!({ "countryCode": m.country_code, "number": m.number })),
        "createdAt": iso8601(user.created_at),
        "lastLoginAt": at(user.last_login_at),
        "lastLoginDevice": user.last_login_device,
        "passwordChangedAt": iso8601(user.password_changed_at),
        "passwordExpired": user.password_expired,
        "status": crate::profile::status(user, lockout, now),
    })
}

/// Surface-1 factors: type, channel, status, and a push device's platform (not its endpoint,
/// public key or linking code).
fn factors(user: &User) -> Vec<Value> {
    user.factors
        .iter()
        .map(|f| {
            json!({
                "type": f.kind,
                "channel": f.channel,
                "status": f.status,
                "platform": f.device.as_ref().map(|d| d.platform),
            })
        })
        .collect()
}

/// Surface-2 methods: whether each is set up and validated, and when (never the TOTP secret).
fn methods(user: &User) -> Value {
    let totp = user.mfa.totp.as_ref();
    json!({
        "email": { "validated": user.mfa.email_verified_at.is_some(), "validatedAt": at(user.mfa.email_verified_at) },
        "sms": {
            "configured": user.mobile.is_some(),
            "validated": user.mfa.phone_verified_at.is_some(),
            "validatedAt": at(user.mfa.phone_verified_at),
        },
        // How many recovery codes are left, never the codes (only their hashes are kept).
        "recoveryCodes": { "configured": user.mfa.recovery.is_some(), "remaining": user.recovery_codes_left() },
        "totp": {
            "configured": totp.is_some(),
            "validated": totp.is_some_and(|t| t.verified_at.is_some()),
            "validatedAt": at(totp.and_then(|t| t.verified_at)),
        },
    })
}
