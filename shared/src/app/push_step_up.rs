//! Step-up by push (surface 1): a challenge sent to the enrolled device, one in flight per
//! session and within the account's push budget; its status for the session that asked; and
//! the device's signed answer.

use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};

use crate::app::principal::Principal;
use crate::app::{App, Ctx, limits};
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::{EventType, SecurityEvent};
use crate::model::{FactorChannel, FactorStatus, PushChallenge, PushStatus, RequestOrigin};
use crate::store::StoreError;

/// How long the device has to answer.
pub const PUSH_TTL_SECS: i64 = 120;

/// The bytes a device signs to answer challenge `id`: `<id>:approve` or `<id>:reject`, so a
/// rejection can never be replayed as an approval.
pub fn signed_message(id: &str, approve: bool) -> String {
    format!("{id}:{}", if approve { "approve" } else { "reject" })
}

/// Sends a step-up request to the caller's device on `channel`; returns the challenge.
pub async fn start(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    channel: FactorChannel,
    now: Epoch,
) -> Result<PushChallenge, DomainError> {
    let session = &principal.session;
    let ctx = &ctx.clone().spending_as(principal.spender());
    let user = crate::app::accounts::load_user(app, &session.email).await?;
    let endpoint = user
        .factor(channel)
        .filter(|f| f.status == FactorStatus::Active)
        .and_then(|f| f.device.as_ref())
        .map(|d| d.endpoint.clone())
        .ok_or(DomainError::Refused(Rule::ChannelNotRegistered))?;
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
        login: None,
        anchored: user.factor_anchored(channel),
    };
    // One in flight per session first: a refused start spends no budget.
    match app.store.create_push_challenge(&challenge, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Refused(Rule::StateInvalid)),
        Err(e) => return Err(e.into()),
    }
    let charged = match limits::push_budget(app, ctx, &user.user_id).await {
        Ok(charged) => charged,
        Err(refused) => {
            app.store.cancel_push_challenge(&challenge).await?;
            return Err(refused);
        }
    };
    notify_device(app, &endpoint, &challenge, "STEP_UP", &charged).await?;
    // The push went out: that is the start (the challenge's own write came before the send).
    let started = challenge_event(app, &challenge, EventType::StepUpStarted)?.from(crate::app::events::origin(ctx));
    app.store.record_events(&[started]).await?;
    Ok(challenge)
}

/// Sends `challenge` (a `kind` of push: `STEP_UP` or `LOGIN`) to the device at `endpoint`,
/// with the asking device's context. A push that does not go out cancels its challenge and
/// gives the budget `charged` for it back: 503, nothing spent.
pub(crate) async fn notify_device(
    app: &App,
    endpoint: &str,
    challenge: &PushChallenge,
    kind: &str,
    charged: &limits::Charged,
) -> Result<(), DomainError> {
    let payload = serde_json::json!({
        "type": kind,
        "challengeId": challenge.id,
        "channel": challenge.channel,
        "expiresAt": challenge.expires_at,
        "requestedAt": challenge.created_at,
        "userAgent": challenge.requested_by.user_agent,
        "sourceIp": challenge.requested_by.source_ip,
    });
    if let Err(source) = app.push.send(endpoint, &payload).await {
        app.store.cancel_push_challenge(challenge).await?;
        limits::refund(app, charged).await;
        return Err(DomainError::Unavailable { retry_after: 5, source });
    }
    Ok(())
}

/// The caller's session's challenge `id` (another session's is as good as missing). The first
/// reads that find it unanswered past its time report `STEP_UP_EXPIRED`, once: the event's id
/// and time are the challenge's, so a second report is the same item.
pub async fn status(
    app: &App,
    principal: &Principal,
    channel: FactorChannel,
    id: &str,
    now: Epoch,
) -> Result<PushChallenge, DomainError> {
    let challenge = app
        .store
        .get_push_challenge(id)
        .await?
        .filter(|c| c.session_id == principal.session.session_id && c.channel == channel)
        .ok_or(DomainError::NotFound)?;
    if challenge.status_at(now) == PushStatus::Expired {
        let mut expired = challenge_event(app, &challenge, EventType::StepUpExpired)?;
        expired.id = format!("expired-{}", challenge.id);
        expired.at = challenge.expires_at;
        app.store.record_events(&[expired]).await?;
    }
    Ok(challenge)
}

/// A step-up event of `challenge`'s session.
fn challenge_event(app: &App, challenge: &PushChallenge, kind: EventType) -> Result<SecurityEvent, DomainError> {
    Ok(crate::app::events::event(app, kind, &challenge.user_id)?
        .session(&challenge.session_id)
        .with("channel", serde_json::json!(challenge.channel)))
}

/// The device's answer to challenge `id`, signed with the key it enrolled.
pub async fn answer(
    app: &App,
    ctx: &Ctx,
    channel: FactorChannel,
    id: &str,
    signature: &[u8],
    approve: bool,
    now: Epoch,
) -> Result<(), DomainError> {
    let challenge =
        app.store.get_push_challenge(id).await?.filter(|c| c.channel == channel).ok_or(DomainError::NotFound)?;
    let user = app.store.get_user(&challenge.email).await?;
    // A login by push asked for an address without an account or a device (a decoy) is
    // answered like a wrong signature: the answer must not tell whether the address has an
    // account, and a device enrolled since cannot approve it.
    let bad_signature = || DomainError::Denied("The signature is not valid.");
    // Nor does a login asked before the password last changed or was reset survive that.
    if let Some(login) = &challenge.login
        && (login.decoy
            || user.as_ref().is_none_or(|u| u.user_id != challenge.user_id)
            || user.as_ref().is_some_and(|u| u.credentials_version != login.credentials_version))
    {
        return Err(bad_signature());
    }
    let user = user.ok_or(DomainError::NotFound)?;
    let key = user
        .factor(channel)
        .and_then(|f| f.device.as_ref())
        .and_then(|d| crypto::b64_decode(&d.public_key))
        .ok_or(DomainError::Denied("The signature is not valid."))?;
    UnparsedPublicKey::new(&ED25519, key)
        .verify(signed_message(id, approve).as_bytes(), signature)
        .map_err(|_| DomainError::Denied("The signature is not valid."))?;
    if challenge.status_at(now) != PushStatus::Pending {
        return Err(Rule::StateInvalid.into());
    }
    // A lock stops every way in: a login by push asked before the lock is not approved during
    // it (423 to the device; the challenge stays pending and expires), and its session never
    // opens, so the lock stands.
    if approve && challenge.login.is_some() {
        let stored = app.store.load_lockout(&challenge.email).await?;
        crate::app::lockout::refuse_if_locked(&stored, now)?;
    }
    let status = if approve { PushStatus::Approved } else { PushStatus::Rejected };
    // Where the device answered from.
    // A login by push reports its login when it is claimed, and a rejection as a failed login.
    let answered = match (approve, challenge.login.is_some()) {
        (true, true) => None,
        (false, true) => Some(
            crate::app::events::event(app, EventType::LoginFailed, &challenge.user_id)?
                .with("method", "PUSH")
                .with("reason", "REJECTED"),
        ),
        (true, false) => Some(challenge_event(app, &challenge, EventType::StepUpSucceeded)?),
        (false, false) => Some(challenge_event(app, &challenge, EventType::StepUpFailed)?.with("reason", "REJECTED")),
    }
    .map(|e| e.from(crate::app::events::origin(ctx)));
    match app.store.answer_push_challenge(&challenge, status, now, answered.as_slice()).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(Rule::StateInvalid.into()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %challenge.user_id, approved = approve, "push challenge answered");
    if approve && challenge.login.is_some() {
        crate::app::push_login::approved(app, ctx, &challenge, user).await?;
    }
    Ok(())
}
