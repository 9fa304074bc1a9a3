//! `POST /authentication_factors/otp/{channel}`: starts enrolling the SMS factor by sending a
//! code to the mobile number on the account; `.../verify` completes it.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::challenge::{self, Delivery};
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::model::{CodePurpose, Factor, FactorStatus, FactorType};
use crate::principal::authenticate;
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "enrol_otp_factor", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access]).await?;
    let channel = super::channel_param(&req, FactorType::Otp)?;
    let user = super::load_user(app, &principal.session.email).await?;
    if user.has_active(channel) {
        return Err(AuthError::Conflict("CHANNEL_ALREADY_REGISTERED"));
    }
    crate::proof::require_step_up(&user, &principal)?;
    // A number set on surface 2 without proof is not the account's once it has a second factor.
    let mobile = user
        .mobile
        .clone()
        .filter(|_| user.may_complete(user.mfa.phone_unproven))
        .ok_or(AuthError::Conflict("MOBILE_NUMBER_NOT_AVAILABLE"))?;
    // Pending first: a code that arrives always has a factor to complete.
    if user.factor(channel).is_none() {
        super::update_user_with(app, &user.email, |u| {
            crate::proof::require_step_up(u, &principal)?;
            if u.factor(channel).is_none() {
                u.factors.push(Factor {
                    kind: FactorType::Otp,
                    channel,
                    status: FactorStatus::PendingVerification,
                    device: None,
                });
            }
            Ok(())
        })
        .await?;
    }
    challenge::send_code(
        app,
        &ctx,
        &user.user_id,
        &CodePurpose::sms_factor(&mobile.e164()),
        Delivery::Sms { to_e164: &mobile.e164() },
    )
    .await?;
    Ok(http::no_content())
}
