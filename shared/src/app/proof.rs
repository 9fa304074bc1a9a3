//! Changing how an account proves itself (ASVS 5.0 V6.4, V7.5). While an account has any
//! ACTIVE factor or validated method ([`User::has_second_factor`]), enrolling, removing or
//! re-pointing one needs proof from one it already has: a `STEPPED_UP` session on surface 1
//! (else 409 `STEP_UP_REQUIRED`), a valid `x-otp` from a validated method on surface 2 (else
//! 403 `OTP_REQUIRED`). An account with none may enrol its first with the password alone.
//! Every change is announced over the channels the account had before it, and ends every
//! step-up of the account.

use crate::app::codes as challenge;
use crate::app::principal::Principal;
use crate::app::{App, Ctx, lockout};
use crate::domain::error::DomainError;
use crate::model::{CodeCheck, CodePurpose, FactorStatus, SessionStatus, User};
use crate::store::{Events, StoreError};

/// Surface 1: the session must be stepped up if the account has anything to step up with.
pub fn require_step_up(user: &User, principal: &Principal) -> Result<(), DomainError> {
    if user.has_second_factor() && principal.session.status != SessionStatus::SteppedUp {
        return Err(DomainError::StepUpRequired);
    }
    Ok(())
}

/// Surface 1, before removing a factor or passkey: as [`require_step_up`], except from the
/// session the lost-password reset opened, which proved the mailbox, the root of the account:
/// it may remove any, so a lost factor is never a dead end. (It adds none without a step-up.)
pub fn require_step_up_to_remove(user: &User, principal: &Principal) -> Result<(), DomainError> {
    if principal.session.mailbox {
        return Ok(());
    }
    require_step_up(user, principal)
}

/// Surface 1: applies `change` to the caller's account. With the password alone while the
/// account has no second factor; otherwise only from a stepped-up session, whose step-up the
/// same atomic write spends, so two changes racing on one step-up cannot both land. Returns the
/// account before and after.
pub async fn change_factors<F>(
    app: &App,
    principal: &Principal,
    events: Events<'_>,
    change: F,
) -> Result<(User, User), DomainError>
where
    F: FnMut(&mut User) -> Result<(), DomainError>,
{
    change_as(app, principal, events, change, false).await
}

/// [`change_factors`] for a removal: from the reset's session without a step-up
/// ([`require_step_up_to_remove`]).
pub async fn remove_factors<F>(
    app: &App,
    principal: &Principal,
    events: Events<'_>,
    change: F,
) -> Result<(User, User), DomainError>
where
    F: FnMut(&mut User) -> Result<(), DomainError>,
{
    change_as(app, principal, events, change, principal.session.mailbox).await
}

async fn change_as<F>(
    app: &App,
    principal: &Principal,
    events: Events<'_>,
    mut change: F,
    by_mailbox: bool,
) -> Result<(User, User), DomainError>
where
    F: FnMut(&mut User) -> Result<(), DomainError>,
{
    let session_id = principal.session.session_id.as_str();
    let mut stepped_up = principal.session.status == SessionStatus::SteppedUp;
    let mut anchored = principal.session.anchored;
    for _ in 0..5 {
        let before = crate::app::accounts::load_user(app, &principal.session.email).await?;
        // The reset's session removes without a step-up (and spends none it may have).
        let needs_proof = before.has_second_factor() && (stepped_up || !by_mailbox);
        if needs_proof && !stepped_up {
            return Err(DomainError::StepUpRequired);
        }
        let mut next = before.clone();
        change(&mut next)?;
        // What this change adds is anchored to the mailbox only if its proof was: the step-up
        // it spends, or, with no second factor to step up with, the session itself (one opened
        // by the lost-password reset proved the mailbox; one opened by the password alone, never).
        next.anchor_new_proofs(&before, anchored);
        crate::app::accounts::unreported(&before, &next, events)?;
        let written = if needs_proof {
            app.store.update_user_spending_step_up(&next, session_id, app.now(), events).await
        } else {
            app.store.update_user(&next, events).await
        };
        match written {
            Ok(saved) => return Ok((before, saved)),
            // The account changed meanwhile, or the step-up was spent (or the session ended).
            Err(StoreError::Conflict) => {
                let session = app.store.get_session(session_id).await?;
                let now = app.now();
                anchored = session.as_ref().is_some_and(|s| s.anchored);
                stepped_up = session
                    .is_some_and(|s| s.status == SessionStatus::SteppedUp && !s.revoked && now < s.absolute_expires_at);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::kept_changing("the account kept changing"))
}

/// Surface 2: the `x-otp` header must hold a current code of a validated method: the TOTP
/// code, the code last sent by `GET /auth/otp/code` to the validated phone or e-mail, or a
/// recovery code (consumed: [`crate::app::recovery::prove`]). One
/// `x-otp` is one check toward the lockout, however many methods it is compared with (one
/// attempt reserved at the first comparison; none when there is nothing to compare it with),
/// and its failure is recorded once, naming the methods tried. Answers whether the proof is
/// anchored to the mailbox (the method that proved is, or it was the e-mail itself): never for
/// an account with no second factor, which proved nothing beyond the password.
pub async fn require_otp(app: &App, ctx: &Ctx, x_otp: Option<&str>, user: &User) -> Result<bool, DomainError> {
    if !user.has_second_factor() {
        return Ok(false);
    }
    // A recovery code, told apart by its form, proves once.
    if let Some(code) = x_otp.and_then(crate::model::recovery::normalize) {
        return crate::app::recovery::prove(app, ctx, user, &code).await;
    }
    let Some(code) = x_otp.and_then(crate::otp::normalize) else {
        return Err(DomainError::OtpRequired);
    };
    let now = app.now();
    let stored = app.store.load_lockout(&user.email).await?;
    lockout::refuse_if_locked(&stored, now)?;
    let mut attempt: Option<lockout::Attempt> = None;
    let mut tried: Vec<&str> = Vec::new();
    let reserve = |tried: &[&str]| {
        let who = lockout::Who::new(&user.user_id, ctx).with("methods", tried.to_vec());
        lockout::attempt(app, lockout::Check::OtpCode, who, &user.email, stored, now)
    };
    if let Some(t) = user.mfa.totp.as_ref().filter(|t| t.verified_at.is_some()) {
        // TOTP checks spent for now: an SMS or e-mail code may still prove.
        match crate::app::limits::totp_budget(app, ctx, &user.user_id).await {
            Ok(()) => {
                let keys = app.data_keys_with(&t.kid).await?;
                tried.push("TOTP");
                attempt = Some(reserve(&tried).await?);
                match crate::app::totp_check::apply_totp(app, &keys, &user.email, &code, now, &[], |_| Ok(())).await {
                    Ok(_) => {
                        if let Some(a) = attempt.take() {
                            a.succeeded(app).await?;
                        }
                        return Ok(t.anchored);
                    }
                    Err(DomainError::TotpRejected) => {}
                    Err(e) => return Err(e),
                }
            }
            Err(DomainError::RateLimited { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let sent = [("SMS", user.mfa.phone_verified_at.is_some()), ("EMAIL", user.email_may_prove())];
    for (channel, validated) in sent {
        let purpose = match (channel, &user.mobile) {
            _ if !validated => continue,
            ("SMS", Some(mobile)) => CodePurpose::sms_method(&mobile.e164()),
            ("SMS", None) => continue,
            _ => CodePurpose::email_method(),
        };
        let Some(mut spent) = challenge::spend(app, &user.user_id, &purpose, now).await? else { continue };
        tried.push(channel);
        if attempt.is_none() {
            let fresh = app.store.load_lockout(&user.email).await?;
            let who = lockout::Who::new(&user.user_id, ctx).with("methods", tried.clone());
            attempt = Some(lockout::attempt(app, lockout::Check::OtpCode, who, &user.email, fresh, now).await?);
        }
        if challenge::accept(app, &mut spent, &code).await? == CodeCheck::Accepted {
            if let Some(a) = attempt.take() {
                a.succeeded(app).await?;
            }
            return Ok(channel == "EMAIL" || user.mfa.phone_anchored);
        }
    }
    // A code was sent and nothing accepted it: a wrong one, or one with nothing to prove.
    match attempt {
        Some(a) => Err(a.with("methods", tried).failed(app, DomainError::OtpRejected, now).await),
        None => Err(DomainError::OtpRejected),
    }
}

/// Runs `change` (of factors, methods or phone) with its notice taken from the address's
/// notice budget first, so that no change is ever made silently: when the budget is spent the
/// change waits (429), and a holder of the password cannot burn the budget and then change
/// factors unannounced. A change that fails gives its notice back.
pub async fn noticed<T>(
    app: &App,
    user: &User,
    change: impl std::future::Future<Output = Result<T, DomainError>>,
) -> Result<T, DomainError> {
    let charged = crate::app::limits::notice_budget(app, &user.email).await?;
    let result = change.await;
    if result.is_err() {
        crate::app::limits::refund(app, &charged).await;
    }
    result
}

/// After a change to `before`'s factors, methods or phone: every step-up of the account ends,
/// and the user hears of it on the channels they had that cost nothing per message: e-mail
/// always, and each push device. (Not SMS: a notice is not worth a budget strangers could make
/// the account spend.) A failed notice is logged, not fatal: the change has been made.
pub async fn announce_change(app: &App, before: &User, change: &'static str) -> Result<(), DomainError> {
    crate::app::sessions::end_step_ups(app, &before.user_id).await?;
    notify(app, before, change).await;
    tracing::info!(user_id = %before.user_id, change, "authentication settings changed");
    Ok(())
}

/// The notice of [`announce_change`] alone (no step-up ends): by e-mail and to each push
/// device `user` has. A failed notice is logged.
pub async fn notify(app: &App, user: &User, change: &str) {
    let before = user;
    let text = format!(
        "Security notice: {change} on your account. If this was not you, change your password and contact support."
    );
    match app.email.send(&before.email, "Security notice", &text).await {
        Ok(()) => crate::metrics::email_sent(),
        // Not the cause chain: SES's refusals can quote the recipient's address.
        Err(e) => tracing::warn!(error = %e, "could not e-mail a security notice"),
    }
    let devices = before.factors.iter().filter(|f| f.status == FactorStatus::Active).filter_map(|f| f.device.as_ref());
    for device in devices {
        let payload = serde_json::json!({ "type": "SECURITY_NOTICE", "change": change });
        if let Err(e) = app.push.send(&device.endpoint, &payload).await {
            // The cause chain: a provider's refusal (an AccessDenied, a disabled endpoint) names
            // itself there, and SNS quotes no personal data but the endpoint's ARN.
            tracing::warn!(error = %crate::domain::error::chain(e.as_ref()), "could not push a security notice");
        }
    }
}
