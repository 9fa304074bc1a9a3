//! Sending and checking one-time codes, shared by enrolment, step-up and the surface-2
//! methods: a keyed hash at rest, a resend cooldown, per-phone and per-account SMS budgets,
//! single use, limited tries, and wrong tries counted toward the account's lockout.

use crate::app::App;
use crate::error::AuthError;
use crate::limits;
use crate::model::{CodeChallenge, CodeCheck, CodePurpose};
use crate::otp;
use crate::store::StoreError;

/// Where a code goes.
pub enum Delivery<'a> {
    Sms { to_e164: &'a str },
    Email { to: &'a str },
}

/// Starts a challenge and sends its code. `Err(Conflict("RETRY_IN_15SEC"))` within the
/// cooldown; on a failed send the challenge is removed again, so none is left unanswerable.
pub async fn send_code(
    app: &App,
    user_id: &str,
    purpose: &CodePurpose,
    delivery: Delivery<'_>,
) -> Result<i64, AuthError> {
    if let Delivery::Sms { to_e164 } = delivery {
        limits::sms_budget(app, to_e164, user_id).await?;
    }
    let now = app.now();
    let code = otp::generate(app.config.sandbox)?;
    let purpose_key = purpose.key();
    let challenge = CodeChallenge {
        user_id: user_id.to_owned(),
        purpose: purpose_key.clone(),
        code_hash: otp::hash(&app.keys().current.data, user_id, &purpose_key, &code),
        created_at: now,
        expires_at: now + otp::CODE_TTL_SECS,
        attempts: 0,
    };
    match app.store.put_code(&challenge, otp::RESEND_COOLDOWN_SECS, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(AuthError::Conflict("RETRY_IN_15SEC")),
        Err(e) => return Err(e.into()),
    }
    let body = format!("Your verification code is {code}. It expires in 5 minutes. Never share it.");
    let sent = match delivery {
        Delivery::Sms { to_e164 } => app.sms.send(to_e164, &body).await,
        Delivery::Email { to } => app.email.send(to, "Your verification code", &body).await,
    };
    if let Err(e) = sent {
        app.store.delete_code(user_id, &purpose_key).await?;
        return Err(AuthError::Unavailable { retry_after: 5, source: e });
    }
    tracing::info!(user_id, purpose = %purpose_kind(purpose), "one-time code sent");
    Ok(challenge.expires_at)
}

fn purpose_kind(p: &CodePurpose) -> &'static str {
    match p {
        CodePurpose::FactorSms => "factor-sms",
        CodePurpose::StepUp { .. } => "step-up",
        CodePurpose::Method { .. } => "method",
    }
}

/// Checks a typed code. Every wrong code also counts as a failed login of the account. Codes
/// are hashed under the current data key: one in flight across a key rotation fails, and the
/// user asks for another.
pub async fn check_code(
    app: &App,
    user_id: &str,
    email: &str,
    purpose: &CodePurpose,
    typed: &str,
) -> Result<CodeCheck, AuthError> {
    let now = app.now();
    let purpose_key = purpose.key();
    // A malformed code is a wrong try like any other: "!" is the hash of nothing.
    let hash = match otp::normalize(typed) {
        Some(code) => otp::hash(&app.keys().current.data, user_id, &purpose_key, &code),
        None => "!".to_owned(),
    };
    let outcome = app.store.check_code(user_id, &purpose_key, &hash, now, otp::MAX_ATTEMPTS).await?;
    if matches!(outcome, CodeCheck::Wrong { .. } | CodeCheck::LimitReached) {
        let cfg = &app.config;
        app.store.record_login_failure(email, now, cfg.lockout_threshold, cfg.lockout_secs).await?;
    }
    Ok(outcome)
}

/// The seeds' 409 codes for a failed check.
pub fn conflict_for(outcome: CodeCheck) -> Option<AuthError> {
    match outcome {
        CodeCheck::Accepted => None,
        CodeCheck::Wrong { .. } => Some(AuthError::Conflict("VERIFICATION_CODE_INVALID")),
        CodeCheck::LimitReached => Some(AuthError::Conflict("CHALLENGE_LIMIT_EXCEEDED")),
        CodeCheck::Expired => Some(AuthError::Conflict("VERIFICATION_CODE_EXPIRED")),
        CodeCheck::Missing => Some(AuthError::Conflict("STATE_INVALID")),
    }
}
