//! `POST /stepup/challenges/otp/{channel}/verify`: the step-up code; the session becomes
//! `STEPPED_UP`.

use crate::api::prelude::*;

use crate::app::codes as challenge;
use crate::model::{CodePurpose, SessionStatus};
use crate::store::StoreError;

pub async fn handle(
    State(app): State<AppState>,
    Caller(principal, _): Caller<Access>,
    OtpChannel(_): OtpChannel,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let code = f.string("verificationCode", 1, 32);
    f.finish()?;
    let session = &principal.session;
    let purpose = CodePurpose::StepUp { session_id: session.session_id.clone() };
    let outcome =
        challenge::check_code(app, &session.user_id, &session.email, &purpose, &code.unwrap_or_default()).await?;
    if outcome != crate::model::CodeCheck::Accepted {
        return Err(DomainError::CodeRejected(outcome).into());
    }
    match app.store.set_session_status(&session.session_id, SessionStatus::SteppedUp, app.now()).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Unauthenticated("The session has ended.").into()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %session.user_id, "session stepped up by SMS");
    Ok(no_content())
}
