//! Surface 1's factors (seeds 000/001): the SMS factor (enrolled by a code sent to the
//! account's mobile) and push devices (an Ed25519 key their answers are signed with). While the
//! account has a second factor, every change needs a stepped-up session, spent by the change,
//! and is announced.

use crate::app::codes::{self as challenge, Delivery};
use crate::app::principal::Principal;
use crate::app::{App, Ctx};
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::{EventType, SecurityEvent};
use crate::model::{CodeCheck, CodePurpose, Factor, FactorChannel, FactorStatus, FactorType, PushDevice, PushPlatform};

/// Starts enrolling the SMS factor: a code goes to the account's mobile.
pub async fn enrol_sms(app: &App, ctx: &Ctx, principal: &Principal, channel: FactorChannel) -> Result<(), DomainError> {
    let ctx = &ctx.clone().spending_as(principal.spender());
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    if user.has_active(channel) {
        return Err(DomainError::Refused(Rule::ChannelAlreadyRegistered));
    }
    crate::app::proof::require_step_up(&user, principal)?;
    // A number set on surface 2 without proof is not the account's once it has a second factor.
    let mobile = user
        .mobile
        .clone()
        .filter(|_| user.may_complete(user.mfa.phone_unproven))
        .ok_or(DomainError::Refused(Rule::MobileNumberNotAvailable))?;
    // Pending first: a code that arrives always has a factor to complete.
    if user.factor(channel).is_none() {
        crate::app::accounts::update_user_with(app, &user.email, |u| {
            crate::app::proof::require_step_up(u, principal)?;
            if u.factor(channel).is_none() {
                u.factors.push(Factor {
                    kind: FactorType::Otp,
                    channel,
                    status: FactorStatus::PendingVerification,
                    device: None,
                    anchored: false,
                });
            }
            Ok(())
        })
        .await?;
    }
    challenge::send_code(
        app,
        ctx,
        &user.user_id,
        &CodePurpose::sms_factor(&mobile.e164()),
        Delivery::Sms { to_e164: &mobile.e164() },
    )
    .await?;
    Ok(())
}

/// Completes the SMS factor with the code it received.
pub async fn verify_sms(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    channel: FactorChannel,
    code: &str,
    now: Epoch,
) -> Result<(), DomainError> {
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    if user.has_active(channel) {
        return Err(DomainError::Refused(Rule::ChannelAlreadyRegistered));
    }
    if user.factor(channel).is_none() {
        return Err(DomainError::Refused(Rule::StateInvalid));
    }
    crate::app::proof::require_step_up(&user, principal)?;
    // The code proves the number it was sent to, which must still be the account's.
    let mobile = user.mobile.clone().ok_or(DomainError::Refused(Rule::StateInvalid))?;
    let purpose = CodePurpose::sms_factor(&mobile.e164());
    let who =
        crate::app::lockout::Who::new(&user.user_id, ctx).session(&principal.session.session_id).with("channel", "SMS");
    let check = crate::app::lockout::Check::EnrolmentCode;
    let outcome = challenge::check_code(app, check, who, &user.email, &purpose, code).await?;
    if outcome != CodeCheck::Accepted {
        return Err(DomainError::CodeRejected(outcome));
    }
    let enrolled = factor_event(app, ctx, principal, EventType::FactorEnrolled, FactorType::Otp, channel)?;
    let (before, _) = crate::app::proof::noticed(
        app,
        &user,
        crate::app::proof::change_factors(app, principal, &[enrolled], |u| {
            if u.mobile.as_ref() != Some(&mobile) {
                return Err(DomainError::Refused(Rule::StateInvalid));
            }
            if let Some(f) = u.factor_mut(channel) {
                f.status = FactorStatus::Active;
            }
            // The code reached the account's phone: that validates the number for surface 2 too.
            u.mfa.phone_verified_at.get_or_insert(now);
            u.mfa.phone_unproven = false;
            Ok(())
        }),
    )
    .await?;
    crate::app::proof::announce_change(app, &before, "an SMS factor was enrolled").await?;
    Ok(())
}

/// Enrols a push device; returns the code that links it to the account in the app.
pub async fn enrol_push(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    channel: FactorChannel,
    platform: PushPlatform,
    device_token: &str,
    public_key: String,
) -> Result<String, DomainError> {
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    if user.factor(channel).is_some() {
        return Err(DomainError::Refused(Rule::ChannelAlreadyRegistered));
    }
    crate::app::proof::require_step_up(&user, principal)?;
    let endpoint = app
        .push
        .register(platform, device_token)
        .await
        .map_err(|source| DomainError::Unavailable { retry_after: 5, source })?;
    let linking_code = crypto::random_digits(8)?;
    let device = PushDevice { platform, endpoint, public_key, linking_code: linking_code.clone() };
    let enrolled = factor_event(app, ctx, principal, EventType::FactorEnrolled, FactorType::Push, channel)?;
    let (before, _) = crate::app::proof::noticed(
        app,
        &user,
        crate::app::proof::change_factors(app, principal, &[enrolled], |u| {
            if u.factor(channel).is_some() {
                return Err(DomainError::Refused(Rule::ChannelAlreadyRegistered));
            }
            u.factors.push(Factor {
                kind: FactorType::Push,
                channel,
                status: FactorStatus::Active,
                device: Some(device.clone()),
                anchored: false,
            });
            Ok(())
        }),
    )
    .await?;
    crate::app::proof::announce_change(app, &before, "a push device was enrolled").await?;
    Ok(linking_code)
}

/// Removes the push device of `channel`.
pub async fn remove_push(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    channel: FactorChannel,
) -> Result<(), DomainError> {
    let current = crate::app::accounts::load_user(app, &principal.session.email).await?;
    if current.factor(channel).is_none() {
        return Err(DomainError::Refused(Rule::ChannelNotRegistered));
    }
    crate::app::proof::require_step_up_to_remove(&current, principal)?;
    let removed_event = factor_event(app, ctx, principal, EventType::FactorRemoved, FactorType::Push, channel)?;
    let mut removed = None;
    let (before, _) = crate::app::proof::noticed(
        app,
        &current,
        crate::app::proof::remove_factors(app, principal, &[removed_event], |u| {
            let at = u
                .factors
                .iter()
                .position(|f| f.channel == channel)
                .ok_or(DomainError::Refused(Rule::ChannelNotRegistered))?;
            removed = Some(u.factors.remove(at));
            Ok(())
        }),
    )
    .await?;
    crate::app::proof::announce_change(app, &before, "a push device was removed").await?;
    // The factor is gone either way; a stale SNS endpoint only costs a failed publish later.
    let stripped = crate::model::Stripped { factors: removed.into_iter().collect(), ..Default::default() };
    forget_removed(app, &before.email, &stripped).await;
    Ok(())
}

/// Removes the SMS factor, and with it the phone's validation (one phone, proven once, serves
/// both surfaces): a change of factors as any (a step-up, spent), except from the session the
/// lost-password reset opened, which removes any factor without one. The number stays.
pub async fn remove_sms(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    channel: FactorChannel,
) -> Result<(), DomainError> {
    let current = crate::app::accounts::load_user(app, &principal.session.email).await?;
    let held = |u: &crate::model::User| u.factor(channel).is_some() || u.mfa.phone_verified_at.is_some();
    if !held(&current) {
        return Err(DomainError::Refused(Rule::ChannelNotRegistered));
    }
    crate::app::proof::require_step_up_to_remove(&current, principal)?;
    let removed_event = factor_event(app, ctx, principal, EventType::FactorRemoved, FactorType::Otp, channel)?;
    let (before, _) = crate::app::proof::noticed(
        app,
        &current,
        crate::app::proof::remove_factors(app, principal, &[removed_event], |u| {
            if !held(u) {
                return Err(DomainError::Refused(Rule::ChannelNotRegistered));
            }
            u.factors.retain(|f| f.channel != channel);
            u.mfa.phone_verified_at = None;
            u.mfa.phone_anchored = false;
            Ok(())
        }),
    )
    .await?;
    crate::app::proof::announce_change(app, &before, "the SMS factor was removed").await?;
    Ok(())
}

/// After `stripped` was removed from the account `email`: push devices' SNS endpoints are
/// deleted and passkeys' credential ids released. Best effort, logged: the account no longer
/// holds them either way.
pub async fn forget_removed(app: &App, email: &str, stripped: &crate::model::Stripped) {
    for endpoint in stripped.factors.iter().filter_map(|f| f.device.as_ref()).map(|d| &d.endpoint) {
        if let Err(e) = app.push.unregister(endpoint).await {
            tracing::warn!(error = %e, "could not delete the SNS endpoint of a removed device");
        }
    }
    for id in &stripped.passkeys {
        let name = crate::app::passkeys::credential_name(id);
        if let Err(e) = app.store.release_passkey_name(&name, email).await {
            tracing::warn!(error = %e, "could not release a removed passkey's credential id");
        }
    }
}

/// A factor's event, in the session (and from where) that changed it.
fn factor_event(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    kind: EventType,
    factor: FactorType,
    channel: FactorChannel,
) -> Result<SecurityEvent, DomainError> {
    Ok(crate::app::events::by(app, ctx, kind, &principal.session.user_id)?
        .session(&principal.session.session_id)
        .with("type", serde_json::json!(factor))
        .with("channel", serde_json::json!(channel)))
}
