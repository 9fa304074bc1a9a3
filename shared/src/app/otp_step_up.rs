//! Step-up by a one-time code (surface 1): to the enrolled mobile (`SMS`), or to the verified
//! e-mail address (`EMAIL`) while that is the account's one second factor (see
//! [`crate::model::User::email_may_prove`]); bound to the session that asked, the right code
//! makes that session `STEPPED_UP`.

use crate::app::codes::{self as challenge, Delivery};
use crate::app::lockout::{Check, Who};
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
    let ctx = &ctx.clone().spending_as(principal.spender());
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
    Ok(crate::app::events::event(app, kind, &principal.session.user_id)?
        .session(&principal.session.session_id)
        .with("channel", channel_name(channel)))
}

fn channel_name(channel: StepUpChannel) -> &'static str {
    match channel {
        StepUpChannel::Sms => "SMS",
        StepUpChannel::Email => "EMAIL",
    }
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
    let user = crate::app::accounts::load_user(app, &session.email).await?;
    if by_email && !user.email_may_prove() {
        return Err(DomainError::Refused(Rule::ChannelNotRegistered));
    }
    // The mailbox anchors itself; an SMS factor is anchored as it was enrolled.
    let anchored = by_email || user.factor_anchored(FactorChannel::Sms);
    let purpose = CodePurpose::StepUp { session_id: session.session_id.clone(), by_email };
    // A try spent and compared, wrong, is recorded by the check itself; refusals that compared
    // nothing (a lock, a dead, expired or missing challenge) record nothing: whoever holds a
    // token cannot flood the trail with them.
    let who = Who::new(&session.user_id, ctx).session(&session.session_id).with("channel", channel_name(channel));
    match challenge::check_code(app, Check::StepUpCode, who, &session.email, &purpose, code).await? {
        CodeCheck::Accepted => {}
        refused => return Err(DomainError::CodeRejected(refused)),
    }
    let succeeded =
        step_up_event(app, principal, EventType::StepUpSucceeded, channel)?.from(crate::app::events::origin(ctx));
    match app.store.set_session_status(&session.session_id, SessionStatus::SteppedUp, anchored, now, &[succeeded]).await
    {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Unauthenticated("The session has ended.")),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %session.user_id, "session stepped up by a one-time code");
    Ok(())
}
