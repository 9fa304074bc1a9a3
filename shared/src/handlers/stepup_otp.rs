//! `POST /stepup/challenges/otp/{channel}`: sends a step-up code by SMS to the enrolled number.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::challenge::{self, Delivery};
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::model::{CodePurpose, FactorType};
use crate::principal::authenticate;
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "stepup_otp", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access]).await?;
    let channel = super::channel_param(&req, FactorType::Otp)?;
    let user = super::load_user(app, &principal.session.email).await?;
    let mobile = match (&user.mobile, user.has_active(channel)) {
        (Some(m), true) => m.e164(),
        _ => return Err(AuthError::Conflict("CHANNEL_NOT_REGISTERED")),
    };
    let purpose = CodePurpose::StepUp { session_id: principal.session.session_id.clone() };
    challenge::send_code(app, &ctx, &user.user_id, &purpose, Delivery::Sms { to_e164: &mobile }).await?;
    Ok(http::no_content())
}
