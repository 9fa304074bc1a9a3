//! An API Gateway Lambda REQUEST authorizer that other APIs attach, so that their operations are
//! authorised by this service: it accepts an ACCESS token (signature, live session, idle expiry
//! slid) and passes who is calling as the authorizer context; anything else is denied.
//!
//! Attach it with the authorizer result cache off (`ReauthorizeEvery: 0`): every call must slide
//! the session and see a logout at once.

use serde_json::{Value, json};

use crate::app::App;
use crate::app::principal;
use crate::domain::error::{BoxError, DomainError};
use crate::token::TokenType;

/// The authorizer's answer to one event (`{"headers", "methodArn", ...}`). `Err` only when a
/// dependency is down: API Gateway then answers 500 rather than a wrong 403.
pub async fn decide(app: &App, event: &Value) -> Result<Value, BoxError> {
    app.refresh_keys_if_stale().await;
    let method_arn = event.get("methodArn").and_then(Value::as_str).unwrap_or("*");
    let token = event
        .get("headers")
        .and_then(Value::as_object)
        .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization")))
        .and_then(|(_, v)| v.as_str())
        .and_then(|v| v.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")))
        .map(|(_, t)| t.trim());
    let Some(token) = token else { return Ok(policy("anonymous", "Deny", method_arn, None)) };
    match principal::authenticate_token(app, token, &[TokenType::Access]).await {
        Ok(principal) => {
            let identity = principal.identity().clone();
            let context = json!({
                "userId": principal.session.user_id,
                "identityType": identity.kind,
                "identityId": identity.id,
                "tokenType": principal.token_type,
                "status": principal.session.status,
            });
            Ok(policy(&principal.session.user_id, "Allow", method_arn, Some(context)))
        }
        Err(DomainError::Unavailable { source, .. } | DomainError::Internal(source)) => Err(source),
        Err(_) => Ok(policy("anonymous", "Deny", method_arn, None)),
    }
}

fn policy(principal: &str, effect: &str, resource: &str, context: Option<Value>) -> Value {
    let mut out = json!({
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{ "Action": "execute-api:Invoke", "Effect": effect, "Resource": resource }],
        },
    });
    if let (Some(ctx), Some(map)) = (context, out.as_object_mut()) {
        map.insert("context".into(), ctx);
    }
    out
}

/// The Lambda handler: `lambda_runtime::run(service_fn(|e| authorizer::handle(&app, e)))`.
pub async fn handle(app: &App, event: lambda_runtime::LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    decide(app, &event.payload).await.map_err(|e| {
        tracing::error!(error = %crate::domain::error::chain(e.as_ref()), "authorizer could not decide");
        lambda_runtime::Error::from(e.to_string())
    })
}
