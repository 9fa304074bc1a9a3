//! `POST /stepup/challenges/push/{channel}/{id}/approve` and `.../reject`: the device's answer,
//! signed with its enrolled Ed25519 key. No user token: the signature is the credential. The
//! signed message is `<id>:approve` or `<id>:reject`, so a rejection can never be replayed as
//! an approval.

use crate::api::prelude::*;
use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};

use crate::app::limits;
use crate::crypto;
use crate::model::PushStatus;
use crate::store::StoreError;

/// The bytes a device signs to answer challenge `id`.
pub fn signed_message(id: &str, approve: bool) -> String {
    format!("{id}:{}", if approve { "approve" } else { "reject" })
}

/// `.../approve`.
pub async fn approve(
    State(app): State<AppState>,
    ctx: Ctx,
    channel: Result<PushChannel, ApiError>,
    ChallengeId(id): ChallengeId,
    body: Result<Body, ApiError>,
) -> Answer {
    answer(&app, ctx, channel, id, body, true).await
}

/// `.../reject`.
pub async fn reject(
    State(app): State<AppState>,
    ctx: Ctx,
    channel: Result<PushChannel, ApiError>,
    ChallengeId(id): ChallengeId,
    body: Result<Body, ApiError>,
) -> Answer {
    answer(&app, ctx, channel, id, body, false).await
}

async fn answer(
    app: &App,
    ctx: Ctx,
    channel: Result<PushChannel, ApiError>,
    id: String,
    body: Result<Body, ApiError>,
    approve: bool,
) -> Answer {
    // Unauthenticated: the per-IP budget is charged before anything else is looked at.
    limits::per_ip(app, &ctx, "push-answer").await?;
    let PushChannel(channel) = channel?;
    let Body(mut f) = body?;
    let signature = f.string("signature", 1, 200);
    f.finish()?;
    let signature =
        signature.and_then(|s| crypto::b64_decode(&s)).ok_or(DomainError::Denied("The signature is not valid."))?;

    let challenge =
        app.store.get_push_challenge(&id).await?.filter(|c| c.channel == channel).ok_or(DomainError::NotFound)?;
    let user = app.store.get_user(&challenge.email).await?.ok_or(DomainError::NotFound)?;
    let key = user
        .factor(channel)
        .and_then(|f| f.device.as_ref())
        .and_then(|d| crypto::b64_decode(&d.public_key))
        .ok_or(DomainError::Denied("The signature is not valid."))?;
    UnparsedPublicKey::new(&ED25519, key)
        .verify(signed_message(&id, approve).as_bytes(), &signature)
        .map_err(|_| DomainError::Denied("The signature is not valid."))?;
    let now = app.now();
    if challenge.status_at(now) != PushStatus::Pending {
        return Err(DomainError::Refused(Rule::StateInvalid).into());
    }
    let status = if approve { PushStatus::Approved } else { PushStatus::Rejected };
    match app.store.answer_push_challenge(&challenge, status, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Refused(Rule::StateInvalid).into()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %challenge.user_id, approved = approve, "push challenge answered");
    Ok(no_content())
}
