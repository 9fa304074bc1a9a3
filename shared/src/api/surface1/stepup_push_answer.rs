//! `POST /stepup/challenges/push/{channel}/{id}/approve` and `.../reject`: the device's answer,
//! signed with its enrolled Ed25519 key. No user token: the signature is the credential. The
//! signed message is `<id>:approve` or `<id>:reject`, so a rejection can never be replayed as
//! an approval.

use crate::api::prelude::*;

use crate::app::limits;
use crate::crypto;

/// `.../approve`.
pub async fn approve(
    State(app): State<AppState>,
    ctx: Ctx,
    channel: Result<PushChannel, ApiError>,
    id: Result<PathId, ApiError>,
    body: Result<Body, ApiError>,
) -> Answer {
    answer(&app, ctx, channel, id, body, true).await
}

/// `.../reject`.
pub async fn reject(
    State(app): State<AppState>,
    ctx: Ctx,
    channel: Result<PushChannel, ApiError>,
    id: Result<PathId, ApiError>,
    body: Result<Body, ApiError>,
) -> Answer {
    answer(&app, ctx, channel, id, body, false).await
}

async fn answer(
    app: &App,
    ctx: Ctx,
    channel: Result<PushChannel, ApiError>,
    id: Result<PathId, ApiError>,
    body: Result<Body, ApiError>,
    approve: bool,
) -> Answer {
    // Unauthenticated: the per-IP budget is charged before anything else is looked at.
    limits::per_ip(app, &ctx, "push-answer").await?;
    let PushChannel(channel) = channel?;
    let PathId(id) = id?;
    let Body(mut f) = body?;
    let signature = f.string("signature", 1, 200);
    f.finish()?;
    let signature =
        signature.and_then(|s| crypto::b64_decode(&s)).ok_or(DomainError::Denied("The signature is not valid."))?;

    crate::app::push_step_up::answer(app, &ctx, channel, &id, &signature, approve, app.now()).await?;
    Ok(no_content())
}
