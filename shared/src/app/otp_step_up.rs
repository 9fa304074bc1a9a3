//! Step-up by a one-time code (surface 1): to the enrolled mobile (`SMS`), or to the verified
//! e-mail address (`EMAIL`) while that is the account's one second factor (see
//! [`crate::model::User::email_may_prove`]); bound to the session that asked, the right code
//! makes that session `STEPPED_UP`.

use crate::app::codes::{self as challenge, Delivery};
use crate::app::principal::Principal;
use crate::app::{App, Ctx};
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::EventType;
use crate::model::{CodeCheck, CodePurpose, FactorChannel, SessionStatus};
use crate::store::StoreError;

/// Where a step-up code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUpChannel {
    Sms,
    Email,
}

/// Sends a step-up code to the enrolled mobile, or to the verified address.
pub async fn start(app: &App, ctx: &Ctx, principal: &Principal, channel: StepUpChannel) -> Result<(), DomainError> {
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    let not_registered = || DomainError::Refused(Rule::ChannelNotRegistered);
    let by_email = channel == StepUpChannel::Email;
    let purpose = CodePurpose::StepUp { session_id: principal.session.session_id.clone(), by_email };
    let phone;
    let delivery = match channel {
        StepUpChannel::Sms => match (&user.mobile, user.has_active(FactorChannel::Sms)) {
            (Some(m), true) => {
                phone = m.e164();
                Delivery::Sms { to_e164: &phone }
            }
            _ => return Err(not_registered()),
        },
        StepUpChannel::Email if user.email_may_prove() => Delivery::Email { to: &user.email },
        StepUpChannel::Email => return Err(not_registered()),
    };
    challenge::send_code(app, ctx, &user.user_id, &purpose, delivery).await?;
    // The code went out: that is the start (no write of the store marks it).
    let started =
        step_up_event(app, principal, EventType::StepUpStarted, channel)?.from(crate::app::events::origin(ctx));
    app.store.record_events(&[started]).await?;
    Ok(())
}

/// A step-up event of the caller's session, by `channel`.
fn step_up_event(
    app: &App,
    principal: &Principal,
    kind: EventType,
    channel: StepUpChannel,
) -> Result<crate::domain::events::SecurityEvent, DomainError> {
    let name = match channel {
        StepUpChannel::Sms => "SMS",
        StepUpChannel::Email => "EMAIL",
    };
    Ok(crate::app::events::event(app, kind, &principal.session.user_id)?
        .session(&principal.session.session_id)
        .with("channel", name))
}

/// Steps the caller's session up with the code it received by `channel`. An e-mailed code
/// counts only while the e-mail may still prove (the account has no other second factor by
/// now): a code sent before another factor appeared proves nothing after.
pub async fn verify(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    channel: StepUpChannel,
    code: &str,
    now: Epoch,
) -> Result<(), DomainError> {
    let session = &principal.session;
    let by_email = channel == StepUpChannel::Email;
    if by_email && !crate::app::accounts::load_user(app, &session.email).await?.email_may_prove() {
        return Err(DomainError::Refused(Rule::ChannelNotRegistered));
    }
    let purpose = CodePurpose::StepUp { session_id: session.session_id.clone(), by_email };
    match challenge::check_code(app, &session.user_id, &session.email, &purpose, code).await {
        Ok(CodeCheck::Accepted) => {}
        // A wrong or expired code (or the lock it caused): the failure is the change, recorded
        // on its own.
        // A try spent and compared, wrong: that failure is the change, recorded on its own.
        // Refusals that compared nothing (a lock, a dead, expired or missing challenge) record
        // nothing: whoever holds a token cannot flood the trail with them.
        Ok(refused @ CodeCheck::Wrong { .. }) => {
            let failed = step_up_event(app, principal, EventType::StepUpFailed, channel)?;
            app.store.record_events(&[failed.from(crate::app::events::origin(ctx))]).await?;
            return Err(DomainError::CodeRejected(refused));
        }
        Ok(refused) => return Err(DomainError::CodeRejected(refused)),
        Err(e) => return Err(e),
    }
    let succeeded =
        step_up_event(app, principal, EventType::StepUpSucceeded, channel)?.from(crate::app::events::origin(ctx));
    match app.store.set_session_status(&session.session_id, SessionStatus::SteppedUp, now, &[succeeded]).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Unauthenticated("The session has ended.")),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %session.user_id, "session stepped up by a one-time code");
    Ok(())
}
