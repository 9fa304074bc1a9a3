//! `POST /stepup/challenges/push/{channel}`: sends a step-up request to the enrolled device.
//! One push challenge at most is in flight per session, even under concurrent requests, and at
//! most `AUTH_PUSH_PER_ACCOUNT_PER_10_MINUTES` per account whatever session asks. The push
//! carries the requesting device's user agent, source IP and time, so the user can tell whose
//! request they approve.

use crate::api::prelude::*;

use crate::app::limits;
use crate::crypto;
use crate::model::{FactorStatus, PushChallenge, PushStatus, RequestOrigin};
use crate::store::StoreError;

/// How long the device has to answer.
pub const PUSH_TTL_SECS: i64 = 120;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    PushChannel(channel): PushChannel,
) -> Answer {
    let app: &App = &app;
    let session = &principal.session;
    let user = crate::app::accounts::load_user(app, &session.email).await?;
    let endpoint = user
        .factor(channel)
        .filter(|f| f.status == FactorStatus::Active)
        .and_then(|f| f.device.as_ref())
        .map(|d| d.endpoint.clone())
        .ok_or(DomainError::Refused(Rule::ChannelNotRegistered))?;
    let now = app.now();
    let challenge = PushChallenge {
        id: crypto::random_numeric_id()?,
        user_id: user.user_id.clone(),
        email: user.email.clone(),
        session_id: session.session_id.clone(),
        channel,
        status: PushStatus::Pending,
        created_at: now,
        expires_at: now + PUSH_TTL_SECS,
        requested_by: RequestOrigin { user_agent: ctx.user_agent.clone(), source_ip: ctx.source_ip.clone() },
    };
    // One in flight per session first: a refused start spends no budget.
    match app.store.create_push_challenge(&challenge, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Refused(Rule::StateInvalid).into()),
        Err(e) => return Err(e.into()),
    }
    let charged = match limits::push_budget(app, &user.user_id).await {
        Ok(charged) => charged,
        Err(refused) => {
            app.store.cancel_push_challenge(&challenge).await?;
            return Err(refused.into());
        }
    };
    let payload = serde_json::json!({
        "type": "STEP_UP",
        "challengeId": challenge.id,
        "channel": channel,
        "expiresAt": challenge.expires_at,
        "requestedAt": challenge.created_at,
        "userAgent": challenge.requested_by.user_agent,
        "sourceIp": challenge.requested_by.source_ip,
    });
    if let Err(source) = app.push.send(&endpoint, &payload).await {
        app.store.cancel_push_challenge(&challenge).await?;
        limits::refund(app, &charged).await;
        return Err(DomainError::Unavailable { retry_after: 5, source }.into());
    }
    Ok(ok(&serde_json::json!({ "id": challenge.id })))
}
