//! Step-up by SMS (surface 1): a code to the enrolled mobile, bound to the session that asked;
//! the right code makes that session `STEPPED_UP`.

use crate::app::codes::{self as challenge, Delivery};
use crate::app::principal::Principal;
use crate::app::{App, Ctx};
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::model::{CodeCheck, CodePurpose, FactorChannel, SessionStatus};
use crate::store::StoreError;

/// Sends a step-up code to the enrolled mobile.
pub async fn start(app: &App, ctx: &Ctx, principal: &Principal, channel: FactorChannel) -> Result<(), DomainError> {
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    let mobile = match (&user.mobile, user.has_active(channel)) {
        (Some(m), true) => m.e164(),
        _ => return Err(DomainError::Refused(Rule::ChannelNotRegistered)),
    };
    let purpose = CodePurpose::StepUp { session_id: principal.session.session_id.clone() };
    challenge::send_code(app, ctx, &user.user_id, &purpose, Delivery::Sms { to_e164: &mobile }).await?;
    Ok(())
}

/// Steps the caller's session up with the code it received.
pub async fn verify(app: &App, principal: &Principal, code: &str, now: Epoch) -> Result<(), DomainError> {
    let session = &principal.session;
    let purpose = CodePurpose::StepUp { session_id: session.session_id.clone() };
    let outcome = challenge::check_code(app, &session.user_id, &session.email, &purpose, code).await?;
    if outcome != CodeCheck::Accepted {
        return Err(DomainError::CodeRejected(outcome));
    }
    match app.store.set_session_status(&session.session_id, SessionStatus::SteppedUp, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Unauthenticated("The session has ended.")),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %session.user_id, "session stepped up by SMS");
    Ok(())
}
