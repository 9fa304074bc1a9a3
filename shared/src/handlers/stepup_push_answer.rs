//! `POST /stepup/challenges/push/{channel}/{id}/approve` and `.../reject`: the device's answer,
//! signed with its enrolled Ed25519 key. No user token: the signature is the credential. The
//! signed message is `<id>:approve` or `<id>:reject`, so a rejection can never be replayed as
//! an approval.

use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};
use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::crypto;
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::limits;
use crate::model::{FactorType, PushStatus};
use crate::store::StoreError;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "stepup_push_answer", |ctx, req| run(app, ctx, req)).await
}

/// The bytes a device signs to answer challenge `id`.
pub fn signed_message(id: &str, approve: bool) -> String {
    format!("{id}:{}", if approve { "approve" } else { "reject" })
}

async fn run(app: &App, ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    limits::per_ip(app, &ctx, "push-answer").await?;
    let channel = super::channel_param(&req, FactorType::Push)?;
    let approve = match req.uri().path().rsplit('/').next() {
        Some("approve") => true,
        Some("reject") => false,
        _ => return Err(AuthError::NotFound),
    };
    let id = http::path_param(&req, "id").ok_or(AuthError::NotFound)?;
    let mut f = Fields::from_request(&req)?;
    let signature = f.string("signature", 1, 200);
    f.finish()?;
    let signature =
        signature.and_then(|s| crypto::b64_decode(&s)).ok_or(AuthError::Forbidden("The signature is not valid."))?;

    let challenge =
        app.store.get_push_challenge(&id).await?.filter(|c| c.channel == channel).ok_or(AuthError::NotFound)?;
    let user = app.store.get_user(&challenge.email).await?.ok_or(AuthError::NotFound)?;
    let key = user
        .factor(channel)
        .and_then(|f| f.device.as_ref())
        .and_then(|d| crypto::b64_decode(&d.public_key))
        .ok_or(AuthError::Forbidden("The signature is not valid."))?;
    UnparsedPublicKey::new(&ED25519, key)
        .verify(signed_message(&id, approve).as_bytes(), &signature)
        .map_err(|_| AuthError::Forbidden("The signature is not valid."))?;
    let now = app.now();
    if challenge.status_at(now) != PushStatus::Pending {
        return Err(AuthError::Conflict("STATE_INVALID"));
    }
    let status = if approve { PushStatus::Approved } else { PushStatus::Rejected };
    match app.store.answer_push_challenge(&challenge, status, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(AuthError::Conflict("STATE_INVALID")),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %challenge.user_id, approved = approve, "push challenge answered");
    Ok(http::no_content())
}
