//! `POST /stepup/challenges/push/{channel}`: sends a step-up request to the enrolled device.
//! One push challenge at most is in flight per session, even under concurrent requests, and at
//! most `AUTH_PUSH_PER_ACCOUNT_PER_10_MINUTES` per account whatever session asks. The push
//! carries the requesting device's user agent, source IP and time, so the user can tell whose
//! request they approve.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::crypto;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::limits;
use crate::model::{FactorStatus, FactorType, PushChallenge, PushStatus, RequestOrigin};
use crate::principal::authenticate;
use crate::store::StoreError;
use crate::token::TokenType;

/// How long the device has to answer.
pub const PUSH_TTL_SECS: i64 = 120;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "stepup_push", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access]).await?;
    let channel = super::channel_param(&req, FactorType::Push)?;
    let session = &principal.session;
    let user = super::load_user(app, &session.email).await?;
    let endpoint = user
        .factor(channel)
        .filter(|f| f.status == FactorStatus::Active)
        .and_then(|f| f.device.as_ref())
        .map(|d| d.endpoint.clone())
        .ok_or(AuthError::Conflict("CHANNEL_NOT_REGISTERED"))?;
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
        Err(StoreError::Conflict) => return Err(AuthError::Conflict("STATE_INVALID")),
        Err(e) => return Err(e.into()),
    }
    let charged = match limits::push_budget(app, &user.user_id).await {
        Ok(charged) => charged,
        Err(refused) => {
            app.store.cancel_push_challenge(&challenge).await?;
            return Err(refused);
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
        return Err(AuthError::Unavailable { retry_after: 5, source });
    }
    Ok(http::ok(&serde_json::json!({ "id": challenge.id })))
}
