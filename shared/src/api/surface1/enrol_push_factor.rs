//! `POST /authentication_factors/push/{channel}`: enrols a device for push step-up: its push
//! token (registered with SNS) and the Ed25519 public key its answers will be signed with.

use crate::api::prelude::*;

use crate::crypto;
use crate::model::PushPlatform;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    PushChannel(channel): PushChannel,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
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
        return Err(ApiError::malformed("INVALID_REQUEST", "device"));
    };
    let linking_code =
        crate::app::factors::enrol_push(app, &ctx, &principal, channel, platform, &device_token, public_key).await?;
    Ok(ok(&serde_json::json!({ "linkingCode": linking_code })))
}
