//! The operator's export: every account as one JSON line in the very shape the import reads
//! ([`crate::app::import`]), so that an export imported into an empty stack signs every user in
//! with the same password and factors. Read from the store a page at a time and written to
//! `out` as it is read (never the whole table in memory).
//!
//! The password hash goes as stored: the service's own as an `$argon2id$` PHC string, one
//! imported and not yet upgraded by a login in the form the import took it (a Firebase one in
//! the service's self-contained form, its project's parameters included, which the import
//! reads back). TOTP secrets are opened and written only when the operator asks for them
//! (`include_secrets`), which is logged as an operator action with the count of secrets it
//! wrote; a line never goes to the log. What cannot move: passkeys (bound to this service's
//! relying party id) and push devices (bound to its SNS applications): their owners enrol
//! them again.

use secrecy::zeroize::Zeroizing;
use serde::Serialize;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::app::App;
use crate::domain::error::DomainError;
use crate::model::{FactorChannel, FactorStatus, User};
use crate::profile::iso8601;

/// Accounts read from the store at once.
pub const PAGE: usize = 500;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Write each account's validated TOTP secret (base32): the secret of a second factor, in
    /// clear. Recorded in the operator log.
    pub include_secrets: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub exported: u64,
    pub include_secrets: bool,
    /// How many TOTP secrets the export holds.
    pub totp_secrets: u64,
}

#[derive(Serialize)]
struct Line<'a> {
    email: &'a str,
    email_verified: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile: Option<LineMobile<'a>>,
    mobile_verified: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    password_hash: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    totp_secret: Option<&'a str>,
    blocked: bool,
    created_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineMobile<'a> {
    country_code: &'a str,
    number: &'a str,
}

/// Writes every account to `out`, one line each; `progress` is told after each page.
pub async fn export<W: AsyncWrite + Unpin>(
    app: &App,
    options: Options,
    mut out: W,
    mut progress: impl FnMut(&Summary),
) -> Result<Summary, DomainError> {
    let mut summary = Summary { include_secrets: options.include_secrets, ..Summary::default() };
    if options.include_secrets {
        tracing::warn!(include_secrets = true, "operator export with TOTP secrets started");
    }
    let mut cursor: Option<String> = None;
    loop {
        let (users, next) = app.store.scan_accounts(cursor.as_deref(), PAGE).await?;
        let mut chunk = Zeroizing::new(Vec::with_capacity(users.len() * 512));
        for user in &users {
            let secret = match options.include_secrets {
                true => totp_secret(app, user)?,
                false => None,
            };
            summary.totp_secrets += u64::from(secret.is_some());
            let line = line(user, secret.as_ref().map(|s| s.as_str()));
            serde_json::to_writer(&mut *chunk, &line).map_err(DomainError::internal)?;
            chunk.push(b'\n');
            summary.exported += 1;
        }
        out.write_all(&chunk).await.map_err(DomainError::internal)?;
        progress(&summary);
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    out.flush().await.map_err(DomainError::internal)?;
    tracing::warn!(
        exported = summary.exported,
        include_secrets = summary.include_secrets,
        totp_secrets = summary.totp_secrets,
        "operator export"
    );
    Ok(summary)
}

fn line<'a>(user: &'a User, totp_secret: Option<&'a str>) -> Line<'a> {
    let sms = user.factors.iter().any(|f| f.channel == FactorChannel::Sms && f.status == FactorStatus::Active);
    Line {
        email: &user.email,
        email_verified: user.mfa.email_verified_at.is_some(),
        name: &user.name,
        mobile: user.mobile.as_ref().map(|m| LineMobile { country_code: &m.country_code, number: &m.number }),
        mobile_verified: user.mobile.is_some() && (sms || user.mfa.phone_verified_at.is_some()),
        password_hash: &user.password_hash,
        totp_secret,
        blocked: user.blocked,
        created_at: iso8601(user.created_at),
    }
}

/// The account's validated TOTP secret in base32, opened with its data key.
fn totp_secret(app: &App, user: &User) -> Result<Option<Zeroizing<String>>, DomainError> {
    let Some(t) = user.mfa.totp.as_ref().filter(|t| t.verified_at.is_some() && !t.unproven) else {
        return Ok(None);
    };
    let keys = app.keys();
    let key = keys.data()?.by_kid(&t.kid).ok_or_else(|| DomainError::internal("TOTP secret under a retired key"))?;
    let raw = Zeroizing::new(
        crate::crypto::open(&key.data, user.user_id.as_bytes(), &t.sealed)
            .ok_or_else(|| DomainError::internal("TOTP secret does not open"))?,
    );
    Ok(Some(Zeroizing::new(totp_rs::Secret::from(raw.to_vec()).to_base32())))
}
