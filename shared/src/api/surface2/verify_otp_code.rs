//! `POST /auth/otp/code`: a code in `x-otp` validates a method (`SMS`, `EMAIL` or `TOTP`).

use crate::api::prelude::*;

use crate::app::codes as challenge;
use crate::model::{CodeCheck, CodePurpose, Factor, FactorChannel, FactorStatus, FactorType};
use crate::profile;

pub async fn handle(
    State(app): State<AppState>,
    IdCaller { user, lockout, .. }: IdCaller,
    XOtp(code): XOtp,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let channel = f.one_of("channel", &["SMS", "EMAIL", "TOTP"]);
    f.finish()?;
    let channel = channel.unwrap_or_default();
    let now = app.now();
    let already = || DomainError::Refused(Rule::MethodAlreadyValidated);
    let not_configured = || DomainError::Refused(Rule::MethodNotConfigured);
    let saved = match channel {
        "TOTP" => {
            match &user.mfa.totp {
                None => return Err(not_configured().into()),
                Some(t) if t.verified_at.is_some() => return Err(already().into()),
                // Added without proof before the account had a second factor: void since.
                Some(t) if !user.may_complete(t.unproven) => return Err(not_configured().into()),
                Some(_) => {}
            }
            let validation = crate::app::totp_check::accept_totp(app, &user.email, &code, |u| {
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
            crate::app::proof::noticed(app, &user, validation).await?
        }
        _ => {
            let validated = if channel == "SMS" { user.mfa.phone_verified_at } else { user.mfa.email_verified_at };
            if validated.is_some() {
                return Err(already().into());
            }
            let purpose = match (channel, &user.mobile) {
                // A number set without proof before the account had a second factor: void since.
                ("SMS", Some(_)) if !user.may_complete(user.mfa.phone_unproven) => return Err(not_configured().into()),
                // The code must have gone to the number the account has now, and, once the
                // account has a second factor, on proof of it.
                ("SMS", Some(mobile)) if user.has_second_factor() => CodePurpose::sms_method(&mobile.e164()),
                ("SMS", Some(mobile)) => CodePurpose::sms_method_first(&mobile.e164()),
                ("SMS", None) => return Err(not_configured().into()),
                // Only a code sent on proof validates the e-mail of an account with a factor.
                _ if user.has_second_factor() => CodePurpose::email_method(),
                _ => CodePurpose::email_method_first(),
            };
            let first_factor = !user.has_second_factor();
            let outcome = challenge::check_code(app, &user.user_id, &user.email, &purpose, &code).await?;
            if outcome != CodeCheck::Accepted {
                return Err(DomainError::CodeRejected(outcome).into());
            }
            // The notice is taken only now, for a change that passed its checks: requests that
            // fail cannot hold the budget.
            let validation = async {
                crate::app::accounts::update_user_with(app, &user.email, |u| {
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
                            }),
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
            crate::app::proof::noticed(app, &user, validation).await?
        }
    };
    let change = match channel {
        "TOTP" => "an authenticator app (TOTP) was enabled",
        "SMS" => "the phone number was validated",
        _ => "the e-mail address was validated",
    };
    crate::app::proof::announce_change(app, &user, change).await?;
    Ok(ok(&profile::profile(&saved, &lockout, now)))
}
