//! `POST /stepup/challenges/otp/{channel}/verify`: the step-up code; the session becomes
//! `STEPPED_UP`.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::challenge;
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::model::{CodePurpose, FactorType, SessionStatus};
use crate::principal::authenticate;
use crate::store::StoreError;
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "stepup_otp_verify", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access]).await?;
    super::channel_param(&req, FactorType::Otp)?;
    let mut f = Fields::from_request(&req)?;
    let code = f.string("verificationCode", 1, 32);
    f.finish()?;
    let session = &principal.session;
    let purpose = CodePurpose::StepUp { session_id: session.session_id.clone() };
    let outcome =
        challenge::check_code(app, &session.user_id, &session.email, &purpose, &code.unwrap_or_default()).await?;
    if let Some(e) = challenge::conflict_for(outcome) {
        return Err(e);
    }
    match app.store.set_session_status(&session.session_id, SessionStatus::SteppedUp, app.now()).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(AuthError::Unauthorized("The session has ended.")),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %session.user_id, "session stepped up by SMS");
    Ok(http::no_content())
}
