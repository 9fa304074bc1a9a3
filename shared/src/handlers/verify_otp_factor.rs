//! `POST /authentication_factors/otp/{channel}/verify`: completes SMS enrolment with the code.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::challenge;
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::model::{CodePurpose, FactorStatus, FactorType};
use crate::principal::authenticate;
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "verify_otp_factor", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access]).await?;
    let channel = super::channel_param(&req, FactorType::Otp)?;
    let mut f = Fields::from_request(&req)?;
    let code = f.string("verificationCode", 1, 32);
    f.finish()?;
    let code = code.unwrap_or_default();
    let user = super::load_user(app, &principal.session.email).await?;
    if user.has_active(channel) {
        return Err(AuthError::Conflict("CHANNEL_ALREADY_REGISTERED"));
    }
    if user.factor(channel).is_none() {
        return Err(AuthError::Conflict("STATE_INVALID"));
    }
    crate::proof::require_step_up(&user, &principal)?;
    let now = app.now();
    // The code proves the number it was sent to, which must still be the account's.
    let mobile = user.mobile.clone().ok_or(AuthError::Conflict("STATE_INVALID"))?;
    let purpose = CodePurpose::sms_factor(&mobile.e164());
    let outcome = challenge::check_code(app, &user.user_id, &user.email, &purpose, &code).await?;
    if let Some(e) = challenge::conflict_for(outcome) {
        return Err(e);
    }
    let (before, _) = crate::proof::noticed(
        app,
        &user,
        crate::proof::change_factors(app, &principal, |u| {
            if u.mobile.as_ref() != Some(&mobile) {
                return Err(AuthError::Conflict("STATE_INVALID"));
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
    crate::proof::announce_change(app, &before, "an SMS factor was enrolled").await?;
    Ok(http::no_content())
}
