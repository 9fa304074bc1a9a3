//! Surface 2's methods (seed 002): the phone (SMS), the e-mail and an authenticator app (TOTP).
//! Setting, validating or removing one is a change of how the account proves itself: once the
//! account has a second factor it needs a current code of one in `x-otp`, and every change is
//! announced (and waits, 429, when its notice cannot go out).

use crate::app::codes::{self as challenge, Delivery};
use crate::app::{App, Ctx};
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::{EventType, SecurityEvent};
use crate::model::{CodeCheck, CodePurpose, Factor, FactorChannel, FactorStatus, FactorType, Mobile, TotpSecret, User};
use crate::totp;

/// A surface-2 method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Sms,
    Email,
    Totp,
}

impl Method {
    /// Its name on the wire, which the rules below also go by.
    pub fn name(self) -> &'static str {
        match self {
            Method::Sms => "SMS",
            Method::Email => "EMAIL",
            Method::Totp => "TOTP",
        }
    }
}

/// Creates a TOTP secret for the account (to be validated by a first code); returns the account
/// and the raw secret, shown this once.
pub async fn add_totp(app: &App, ctx: &Ctx, user: &User, x_otp: Option<&str>) -> Result<(User, Vec<u8>), DomainError> {
    let already = || DomainError::Refused(Rule::TotpSecretAlreadyValidated);
    if user.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_some()) {
        return Err(already());
    }
    let anchored = crate::app::proof::require_otp(app, ctx, x_otp, user).await?;
    let secret = crypto::random_bytes::<{ totp::SECRET_BYTES }>()?;
    let keys = app.keys();
    let data = &keys.data()?.current;
    let sealed = TotpSecret {
        kid: data.kid.clone(),
        sealed: crypto::seal(&data.data, user.user_id.as_bytes(), &secret)?,
        verified_at: None,
        last_step: None,
        unproven: !user.has_second_factor(),
        anchored,
    };
    let unproven = sealed.unproven;
    let added =
        [method_event(app, ctx, user, EventType::FactorEnrolled, "TOTP")?.with("status", "PENDING_VERIFICATION")];
    let saved = crate::app::accounts::update_user_reporting(app, &user.email, &added, |u| {
        if u.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_some()) {
            return Err(already());
        }
        // A factor that appeared since the proof was judged needs proof too.
        if unproven && u.has_second_factor() {
            return Err(DomainError::OtpRequired);
        }
        u.mfa.totp = Some(sealed.clone());
        Ok(())
    })
    .await?;
    Ok((saved, secret.to_vec()))
}

/// Sets the account's phone number and sends a code to validate it.
pub async fn set_phone(
    app: &App,
    ctx: &Ctx,
    user: &User,
    mobile: Mobile,
    x_otp: Option<&str>,
) -> Result<User, DomainError> {
    if user.mfa.phone_verified_at.is_some() {
        return Err(DomainError::Refused(Rule::PhoneAlreadyValidated));
    }
    let anchored = crate::app::proof::require_otp(app, ctx, x_otp, user).await?;
    // Set without proof only while the account has no second factor: remembered, so that the
    // number can no longer be validated once it has one.
    let unproven = !user.has_second_factor();
    let to = mobile.e164();
    // The code goes out first: within the cooldown, or past a budget, nothing changes.
    let purpose = if unproven { CodePurpose::sms_method_first(&to) } else { CodePurpose::sms_method(&to) };
    let set = [method_event(app, ctx, user, EventType::FactorEnrolled, "SMS")?.with("status", "PENDING_VERIFICATION")];
    let change = async {
        challenge::send_code(app, ctx, &user.user_id, &purpose, Delivery::Sms { to_e164: &to }).await?;
        crate::app::accounts::update_user_reporting(app, &user.email, &set, |u| {
            if u.mfa.phone_verified_at.is_some() {
                return Err(DomainError::Refused(Rule::PhoneAlreadyValidated));
            }
            // A factor that appeared since the proof was judged needs proof too.
            if unproven && u.has_second_factor() {
                return Err(DomainError::OtpRequired);
            }
            u.mobile = Some(mobile.clone());
            u.mfa.phone_unproven = unproven;
            u.mfa.phone_anchored = anchored;
            Ok(())
        })
        .await
    };
    let saved = crate::app::proof::noticed(app, user, change).await?;
    crate::app::proof::announce_change(app, user, "the phone number was changed").await?;
    Ok(saved)
}

/// Removes the TOTP secret, on a current TOTP code, or on a recovery code (consumed first).
pub async fn remove_totp(app: &App, ctx: &Ctx, user: &User, code: &str) -> Result<User, DomainError> {
    if user.mfa.totp.is_none() {
        return Err(DomainError::Refused(Rule::TotpSecretNotConfigured));
    }
    let removed = [method_event(app, ctx, user, EventType::FactorRemoved, "TOTP")?];
    if let Some(recovery_code) = crate::model::recovery::normalize(code) {
        crate::app::recovery::prove(app, ctx, user, &recovery_code).await?;
        let removal = crate::app::accounts::update_user_reporting(app, &user.email, &removed, |u| {
            u.mfa.totp.take().map(|_| ()).ok_or(DomainError::Refused(Rule::TotpSecretNotConfigured))
        });
        let saved = crate::app::proof::noticed(app, user, removal).await?;
        crate::app::proof::announce_change(app, user, "the authenticator app (TOTP) was removed").await?;
        return Ok(saved);
    }
    let removal = crate::app::totp_check::accept_totp(app, ctx, &user.email, code, &removed, |u| {
        u.mfa.totp = None;
        Ok(())
    });
    let saved = crate::app::proof::noticed(app, user, removal).await?;
    crate::app::proof::announce_change(app, user, "the authenticator app (TOTP) was removed").await?;
    Ok(saved)
}

/// Sends a code to the phone or e-mail (to validate it, or to prove it in a later `x-otp`);
/// returns until when the code is valid, and whether the method was already validated.
pub async fn send_code(
    app: &App,
    ctx: &Ctx,
    user: &User,
    method: Method,
    x_otp: Option<&str>,
) -> Result<(Epoch, bool), DomainError> {
    let not_configured = || DomainError::Refused(Rule::MethodNotConfigured);
    let channel = method.name();
    let validated = match method {
        Method::Sms => user.mfa.phone_verified_at.is_some(),
        _ => user.mfa.email_verified_at.is_some(),
    };
    let phone = user.mobile.as_ref().map(|m| m.e164());
    let delivery = match channel {
        "SMS" => Delivery::Sms { to_e164: phone.as_deref().ok_or_else(not_configured)? },
        _ => Delivery::Email { to: &user.email },
    };
    // Validating a phone or the e-mail is adding a method: once the account has a second
    // factor, the code that will validate it goes out only on proof of that factor in x-otp;
    // one sent before it had one is of another purpose, void since.
    let first = !validated && !user.has_second_factor();
    if !validated && !first {
        let anchored = crate::app::proof::require_otp(app, ctx, x_otp, user).await?;
        // The code about to validate the phone goes out on this proof: the phone will be
        // anchored to the mailbox as the proof is (the latest code is the only one that works).
        if method == Method::Sms && user.mfa.phone_anchored != anchored {
            crate::app::accounts::update_user_with(app, &user.email, |u| {
                u.mfa.phone_anchored = anchored;
                Ok(())
            })
            .await?;
        }
    }
    let purpose = match (channel, &phone) {
        ("SMS", Some(e164)) if first => CodePurpose::sms_method_first(e164),
        ("SMS", Some(e164)) => CodePurpose::sms_method(e164),
        _ if first => CodePurpose::email_method_first(),
        _ => CodePurpose::email_method(),
    };
    let valid_until = challenge::send_code(app, ctx, &user.user_id, &purpose, delivery).await?;
    Ok((valid_until, validated))
}

/// Validates a method with the code it received (SMS, e-mail) or shows (TOTP).
pub async fn validate(
    app: &App,
    ctx: &Ctx,
    user: &User,
    method: Method,
    code: &str,
    now: Epoch,
) -> Result<User, DomainError> {
    let channel = method.name();
    let already = || DomainError::Refused(Rule::MethodAlreadyValidated);
    let not_configured = || DomainError::Refused(Rule::MethodNotConfigured);
    let saved = match channel {
        "TOTP" => {
            match &user.mfa.totp {
                None => return Err(not_configured()),
                Some(t) if t.verified_at.is_some() => return Err(already()),
                // Added without proof before the account had a second factor: void since.
                Some(t) if !user.may_complete(t.unproven) => return Err(not_configured()),
                Some(_) => {}
            }
            let enrolled = [method_event(app, ctx, user, EventType::FactorEnrolled, "TOTP")?];
            let validation = crate::app::totp_check::accept_totp(app, ctx, &user.email, code, &enrolled, |u| {
                let completable =
                    u.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_none() && u.may_complete(t.unproven));
                if !completable {
                    return Err(not_configured());
                }
                if let Some(t) = u.mfa.totp.as_mut() {
                    t.verified_at = Some(now);
                    t.unproven = false;
                }
                Ok(())
            });
            crate::app::proof::noticed(app, user, validation).await?
        }
        _ => {
            let validated = if channel == "SMS" { user.mfa.phone_verified_at } else { user.mfa.email_verified_at };
            if validated.is_some() {
                return Err(already());
            }
            let purpose = match (channel, &user.mobile) {
                // A number set without proof before the account had a second factor: void since.
                ("SMS", Some(_)) if !user.may_complete(user.mfa.phone_unproven) => return Err(not_configured()),
                // The code must have gone to the number the account has now, and, once the
                // account has a second factor, on proof of it.
                ("SMS", Some(mobile)) if user.has_second_factor() => CodePurpose::sms_method(&mobile.e164()),
                ("SMS", Some(mobile)) => CodePurpose::sms_method_first(&mobile.e164()),
                ("SMS", None) => return Err(not_configured()),
                // Only a code sent on proof validates the e-mail of an account with a factor.
                _ if user.has_second_factor() => CodePurpose::email_method(),
                _ => CodePurpose::email_method_first(),
            };
            let first_factor = !user.has_second_factor();
            let who = crate::app::lockout::Who::new(&user.user_id, ctx).with("method", channel);
            let check = crate::app::lockout::Check::EnrolmentCode;
            let outcome = challenge::check_code(app, check, who, &user.email, &purpose, code).await?;
            if outcome != CodeCheck::Accepted {
                return Err(DomainError::CodeRejected(outcome));
            }
            // The notice is taken only now, for a change that passed its checks: requests that
            // fail cannot hold the budget.
            let mut events = vec![method_event(app, ctx, user, EventType::FactorEnrolled, channel)?];
            if channel == "EMAIL" {
                events.push(crate::app::events::by(app, ctx, EventType::EmailVerified, &user.user_id)?);
            }
            let validation = async {
                crate::app::accounts::update_user_reporting(app, &user.email, &events, |u| {
                    if channel == "SMS" {
                        let factor_appeared = first_factor && u.has_second_factor();
                        if u.mobile != user.mobile || !u.may_complete(u.mfa.phone_unproven) || factor_appeared {
                            return Err(not_configured());
                        }
                        u.mfa.phone_verified_at = Some(now);
                        u.mfa.phone_unproven = false;
                        // One phone, proven once, serves both surfaces: surface 1 steps up with it.
                        match u.factor_mut(FactorChannel::Sms) {
                            Some(f) => f.status = FactorStatus::Active,
                            None => u.factors.push(Factor {
                                kind: FactorType::Otp,
                                channel: FactorChannel::Sms,
                                status: FactorStatus::Active,
                                device: None,
                                anchored: false,
                            }),
                        }
                        // Anchored as the number was set (on proof, or not).
                        let anchored = u.mfa.phone_anchored;
                        if let Some(f) = u.factor_mut(FactorChannel::Sms) {
                            f.anchored = anchored;
                        }
                    } else {
                        if first_factor && u.has_second_factor() {
                            // A factor appeared since the code was checked: it proves nothing now.
                            return Err(not_configured());
                        }
                        u.mfa.email_verified_at = Some(now);
                    }
                    Ok(())
                })
                .await
            };
            crate::app::proof::noticed(app, user, validation).await?
        }
    };
    let change = match channel {
        "TOTP" => "an authenticator app (TOTP) was enabled",
        "SMS" => "the phone number was validated",
        _ => "the e-mail address was validated",
    };
    crate::app::proof::announce_change(app, user, change).await?;
    Ok(saved)
}

/// A surface-2 method's event (`FACTOR_ENROLLED` or `FACTOR_REMOVED`).
fn method_event(
    app: &App,
    ctx: &Ctx,
    user: &User,
    kind: EventType,
    method: &str,
) -> Result<SecurityEvent, DomainError> {
    Ok(crate::app::events::by(app, ctx, kind, &user.user_id)?.with("method", method).with("surface", 2))
}
