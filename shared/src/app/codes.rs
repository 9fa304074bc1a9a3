//! Sending and checking one-time codes, shared by enrolment, step-up and the surface-2
//! methods: a keyed hash at rest, a resend cooldown checked before any budget is spent, SMS and
//! e-mail budgets, single use, and a check that spends one try atomically and reserves one
//! attempt of the account's lockout before it compares anything.

use crate::app::App;
use crate::app::Ctx;
use crate::app::limits;
use crate::app::lockout;
use crate::domain::codes;
use crate::domain::error::DomainError;
use crate::model::{CodeChallenge, CodeCheck, CodePurpose};
use crate::otp;
use crate::store::StoreError;

/// Where a code goes.
pub enum Delivery<'a> {
    Sms { to_e164: &'a str },
    Email { to: &'a str },
}

/// Starts a challenge and sends its code. `Err(ResendTooSoon)` within the
/// cooldown, before any budget is charged; a refused budget or a failed send removes the
/// challenge again, so none is left unanswerable and no cooldown blocks the next try.
pub async fn send_code(
    app: &App,
    ctx: &Ctx,
    user_id: &str,
    purpose: &CodePurpose,
    delivery: Delivery<'_>,
) -> Result<i64, DomainError> {
    let now = app.now();
    let code = otp::generate(app.config.sandbox)?;
    let purpose_key = purpose.key();
    let keys = app.keys();
    let data = &keys.data()?.current;
    let challenge = CodeChallenge {
        user_id: user_id.to_owned(),
        purpose: purpose_key.clone(),
        code_hash: otp::hash(&data.data, user_id, &purpose_key, &code),
        created_at: now,
        expires_at: now + otp::CODE_TTL_SECS,
        attempts: 0,
        key_id: Some(data.kid.clone()),
    };
    match app.store.put_code(&challenge, otp::RESEND_COOLDOWN_SECS, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            return Err(DomainError::ResendTooSoon { retry_after: crate::otp::RESEND_COOLDOWN_SECS });
        }
        Err(e) => return Err(e.into()),
    }
    // The account's SMS cooldown too, whatever the purpose or session: still before any budget.
    let sms_to = match delivery {
        Delivery::Sms { to_e164 } => Some(to_e164),
        Delivery::Email { .. } => None,
    };
    let claimed = match sms_to {
        Some(_) => match limits::claim_sms_cooldown(app, user_id).await? {
            Some(at) => Some(at),
            None => {
                app.store.delete_code(user_id, &purpose_key).await?;
                return Err(DomainError::ResendTooSoon { retry_after: crate::otp::RESEND_COOLDOWN_SECS });
            }
        },
        None => None,
    };
    let charged = match delivery {
        Delivery::Sms { to_e164 } => match limits::sms_destination(app, to_e164) {
            Ok(()) => limits::charge(app, &limits::code_budgets(app, ctx, user_id, Some(to_e164), None)).await,
            Err(refused) => Err(refused),
        },
        Delivery::Email { to } => limits::charge(app, &limits::code_budgets(app, ctx, user_id, None, Some(to))).await,
    };
    let charged = match charged {
        Ok(charged) => charged,
        Err(refused) => {
            give_back(app, user_id, &purpose_key, claimed, None).await?;
            return Err(refused);
        }
    };
    let body = format!("Your verification code is {code}. It expires in 5 minutes. Never share it.");
    let sent = match delivery {
        Delivery::Sms { to_e164 } => app.sms.send(to_e164, &body).await,
        Delivery::Email { to } => app.email.send(to, "Your verification code", &body).await,
    };
    if let Err(e) = sent {
        // Nothing went out: no challenge, no cooldown and no budget spent.
        give_back(app, user_id, &purpose_key, claimed, Some(&charged)).await?;
        return Err(DomainError::Unavailable { retry_after: 5, source: e });
    }
    tracing::info!(user_id, purpose = %purpose_kind(purpose), "one-time code sent");
    Ok(challenge.expires_at)
}

/// Undoes a send that did not happen: its challenge, the account's SMS cooldown, its budgets.
async fn give_back(
    app: &App,
    user_id: &str,
    purpose_key: &str,
    sms_claimed_at: Option<i64>,
    charged: Option<&limits::Charged>,
) -> Result<(), DomainError> {
    app.store.delete_code(user_id, purpose_key).await?;
    if let Some(at) = sms_claimed_at {
        limits::release_sms_cooldown(app, user_id, at).await;
    }
    if let Some(charged) = charged {
        limits::refund(app, charged).await;
    }
    Ok(())
}

fn purpose_kind(p: &CodePurpose) -> &'static str {
    match p {
        CodePurpose::FactorSms { .. } => "factor-sms",
        CodePurpose::StepUp { .. } => "step-up",
        CodePurpose::Method { .. } => "method",
    }
}

/// Checks a typed code: refused (423) while the account is locked; otherwise one try of the
/// challenge is spent in one atomic write and one attempt of the account's lockout reserved,
/// and only then are the hashes compared. A right code consumes the challenge (exactly once)
/// and clears the lockout counter; a wrong one stays counted, and the one that reaches the
/// threshold answers 423. A code is checked under the data-key generation it was hashed with,
/// found before any attempt is reserved: an instance that does not hold it yet reloads its
/// keys, and if it still cannot (Secrets Manager unreachable) answers 503 having counted no
/// attempt against the account (the challenge's try is spent).
pub async fn check_code(
    app: &App,
    user_id: &str,
    email: &str,
    purpose: &CodePurpose,
    typed: &str,
) -> Result<CodeCheck, DomainError> {
    let now = app.now();
    let stored = app.store.load_lockout(email).await?;
    lockout::refuse_if_locked(&stored, now)?;
    let purpose_key = purpose.key();
    let Some(spent) = app.store.spend_code_try(user_id, &purpose_key, now, otp::MAX_ATTEMPTS).await? else {
        let challenge = app.store.get_code(user_id, &purpose_key).await?;
        return Ok(codes::unspendable(challenge.as_ref(), now, otp::MAX_ATTEMPTS));
    };
    let key = hashing_key(app, spent.key_id.as_deref()).await?;
    let reserved = lockout::reserve(app.store.as_ref(), lockout::policy(&app.config), email, stored, now).await?;
    // A malformed code is a wrong try like any other: "!" is the hash of nothing.
    let hash = match otp::normalize(typed) {
        Some(code) => otp::hash(&key, user_id, &purpose_key, &code),
        None => "!".to_owned(),
    };
    #[cfg(feature = "test-util")]
    crate::testing::tally(&format!("code:{user_id}:{purpose_key}"));
    match codes::judge(&spent, &hash, otp::MAX_ATTEMPTS) {
        CodeCheck::Accepted => {
            if !app.store.consume_code(user_id, &purpose_key, &hash).await? {
                // A concurrent check with the same right code consumed it first.
                return Ok(CodeCheck::Missing);
            }
            lockout::succeeded(app.store.as_ref(), email).await?;
            Ok(CodeCheck::Accepted)
        }
        wrong => match reserved.check(now) {
            Err(l) => Err(DomainError::Locked { retry_after: l.retry_after(now) }),
            Ok(()) => Ok(wrong),
        },
    }
}

/// The data key a challenge's code was hashed under: the generation it names, or the current
/// one for a challenge that names none ([`App::data_keys_with`] reloads an instance that does
/// not hold it yet).
async fn hashing_key(app: &App, kid: Option<&str>) -> Result<Vec<u8>, DomainError> {
    let Some(kid) = kid else { return Ok(app.keys().data()?.current.data.clone()) };
    let keys = app.data_keys_with(kid).await?;
    keys.data()?.by_kid(kid).map(|k| k.data.clone()).ok_or_else(|| DomainError::internal("a data key vanished"))
}
