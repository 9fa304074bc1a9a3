//! `POST /authentication_factors/push/{channel}`: enrols a device for push step-up: its push
//! token (registered with SNS) and the Ed25519 public key its answers will be signed with.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::crypto;
use crate::error::{AuthError, FieldErrorKind};
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::model::{Factor, FactorStatus, FactorType, PushDevice, PushPlatform};
use crate::principal::authenticate;
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "enrol_push_factor", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access]).await?;
    let channel = super::channel_param(&req, FactorType::Push)?;
    let mut f = Fields::from_request(&req)?;
    let device_token = f.string("deviceToken", 1, 4096);
    let platform = f
        .one_of("platform", &["APNS", "GCM"])
        .map(|p| if p == "APNS" { PushPlatform::Apns } else { PushPlatform::Gcm });
    let public_key = f.string("publicKey", 40, 64);
    if public_key.as_deref().is_some_and(|k| crypto::b64_decode(k).is_none_or(|b| b.len() != 32)) {
        f.error("publicKey", FieldErrorKind::Regex, &["base64 of a 32-byte Ed25519 public key"]);
    }
    f.finish()?;
    let (Some(device_token), Some(platform), Some(public_key)) = (device_token, platform, public_key) else {
        return Err(AuthError::bad_request("INVALID_REQUEST", "device"));
    };
    let user = super::load_user(app, &principal.session.email).await?;
    if user.factor(channel).is_some() {
        return Err(AuthError::Conflict("CHANNEL_ALREADY_REGISTERED"));
    }
    crate::proof::require_step_up(&user, &principal)?;
    let endpoint = app
        .push
        .register(platform, &device_token)
        .await
        .map_err(|source| AuthError::Unavailable { retry_after: 5, source })?;
    let linking_code = crypto::random_digits(8)?;
    let device = PushDevice { platform, endpoint, public_key, linking_code: linking_code.clone() };
    let (before, _) = crate::proof::noticed(
        app,
        &user,
        crate::proof::change_factors(app, &principal, |u| {
            if u.factor(channel).is_some() {
                return Err(AuthError::Conflict("CHANNEL_ALREADY_REGISTERED"));
            }
            u.factors.push(Factor {
                kind: FactorType::Push,
                channel,
                status: FactorStatus::Active,
                device: Some(device.clone()),
            });
            Ok(())
        }),
    )
    .await?;
    crate::proof::announce_change(app, &before, "a push device was enrolled").await?;
    Ok(http::ok(&serde_json::json!({ "linkingCode": linking_code })))
}
