//! Typed extractors: each reads one thing from a request and refuses with an [`ApiError`],
//! which the route's surface renders. They run in the order a handler lists them, so a
//! handler's signature says what is checked first (the caller before the body, as the seeds'
//! answers expect).

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use axum::http::request::Parts;
use lambda_http::request::RequestContext;

use crate::api::error::ApiError;
use crate::api::fields::Fields;
use crate::app::id_tokens;
use crate::app::principal::{self, Principal};
use crate::app::{App, Ctx};
use crate::domain::error::{DomainError, Rule};
use crate::model::{FactorChannel, FactorType, Lockout, User};
use crate::token::{IdClaims, TokenType};

/// The state every handler shares.
pub type AppState = Arc<App>;

/// Largest request body accepted; an authentication request has no reason to be bigger.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The header that carries each request's reference, on the request (set by the edge) and on
/// its answer.
pub const REQUEST_REF: &str = "request-ref";

fn header(parts: &Parts, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The bearer token of the `Authorization` header, if it has the right form.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok())?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // API Gateway names the caller in its request context; the local server by the socket.
        let source_ip = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV1(c)) => c.identity.source_ip.clone(),
            Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.clone(),
            _ => socket_ip(parts),
        }
        .unwrap_or_else(|| "unknown".into());
        Ok(Ctx {
            request_ref: header(parts, REQUEST_REF).unwrap_or("unavailable").to_owned(),
            source_ip,
            user_agent: header(parts, USER_AGENT).unwrap_or("unknown").chars().take(512).collect(),
            device_id: header(parts, "x-device-id")
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(|id| id.chars().take(crate::domain::devices::DEVICE_ID_MAX).collect()),
            login: None,
        })
    }
}

/// The caller's address as the local server's socket saw it.
#[cfg(feature = "local-server")]
fn socket_ip(parts: &Parts) -> Option<String> {
    use axum::extract::ConnectInfo;
    parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
}

/// A Lambda function has no socket of its own: API Gateway names the caller.
#[cfg(not(feature = "local-server"))]
fn socket_ip(_: &Parts) -> Option<String> {
    None
}

/// The token kinds a surface-1 operation accepts.
pub trait Accepts: Send + Sync {
    const TYPES: &'static [TokenType];
}

/// Only an AUTH token.
pub struct Auth;
/// Only an ACCESS token.
pub struct Access;
/// An AUTH or an ACCESS token.
pub struct AuthOrAccess;
/// An ACCESS token or the temporary token of an expired password.
pub struct AccessOrPasswordUpdate;

impl Accepts for Auth {
    const TYPES: &'static [TokenType] = &[TokenType::Auth];
}
impl Accepts for Access {
    const TYPES: &'static [TokenType] = &[TokenType::Access];
}
impl Accepts for AuthOrAccess {
    const TYPES: &'static [TokenType] = &[TokenType::Auth, TokenType::Access];
}
impl Accepts for AccessOrPasswordUpdate {
    const TYPES: &'static [TokenType] = &[TokenType::Access, TokenType::PasswordUpdate];
}

/// A surface-1 caller whose token is of a kind `A` accepts and whose session is live (its
/// idle expiry slid by this request).
pub struct Caller<A>(pub Principal, pub PhantomData<A>);

impl<A: Accepts> FromRequestParts<AppState> for Caller<A> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)
            .ok_or(DomainError::Unauthenticated("A bearer token is required in the Authorization header."))?;
        Ok(Caller(principal::authenticate_token(app, token, A::TYPES).await?, PhantomData))
    }
}

/// A surface-2 caller: a valid idToken of an account that still has the credentials it was
/// issued under, with the account and its failed-attempt counter (one store read).
pub struct IdCaller {
    pub claims: IdClaims,
    pub user: User,
    pub lockout: Lockout,
    /// The login (refresh family) the request spends the account's budgets from.
    pub spender: crate::app::limits::Spender,
}

impl FromRequestParts<AppState> for IdCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)
            .ok_or(DomainError::Unauthenticated("A bearer idToken is required in the Authorization header."))?;
        let (claims, user, lockout, spender) = id_tokens::authenticate(app, token).await?;
        Ok(IdCaller { claims, user, lockout, spender })
    }
}

/// A caller of either surface, for what both share (the account's logins): an AUTH or ACCESS
/// token of a live session, or a valid idToken of a live refresh family. `current` is that
/// session's or family's id.
pub struct AnyCaller {
    pub user_id: String,
    pub current: String,
    /// The account's address as the token or session names it (read the account by it, then
    /// check its user id).
    pub email: String,
}

impl FromRequestParts<AppState> for AnyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        either_surface(parts, app, &[TokenType::Auth, TokenType::Access]).await
    }
}

/// [`AnyCaller`], with an ACCESS token or an idToken only (an AUTH token acts for no identity).
pub struct AccessOrIdCaller(pub AnyCaller);

impl FromRequestParts<AppState> for AccessOrIdCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        either_surface(parts, app, &[TokenType::Access]).await.map(AccessOrIdCaller)
    }
}

/// An idToken, or a session token of one of `accepted`.
async fn either_surface(parts: &Parts, app: &AppState, accepted: &[TokenType]) -> Result<AnyCaller, ApiError> {
    let token = bearer(&parts.headers).ok_or(DomainError::Unauthenticated(
        "A bearer token (AUTH, ACCESS or idToken) is required in the Authorization header.",
    ))?;
    if crate::token::is_id_token(token) {
        let (claims, user, _, _) = id_tokens::authenticate(app, token).await?;
        let current = claims.sid.unwrap_or_default();
        return Ok(AnyCaller { user_id: user.user_id, current, email: user.email });
    }
    let principal = principal::authenticate_token(app, token, accepted).await?;
    let session = principal.session;
    // The session's account must still be there (a deletion whose erasure has not finished
    // leaves its sessions behind for a moment): the idToken path checks the same.
    let user = app.store.get_user(&session.email).await?.filter(|u| u.user_id == session.user_id);
    user.ok_or(DomainError::Unauthenticated("The account no longer exists."))?;
    Ok(AnyCaller { user_id: session.user_id, current: session.session_id, email: session.email })
}

/// The `{id}` of a path.
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        path_param(parts, "id").await.map(PathId).ok_or(ApiError::NoRoute)
    }
}

/// The `{credentialId}` of a path (a passkey's credential id).
pub struct CredentialIdParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CredentialIdParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        path_param(parts, "credentialId").await.map(CredentialIdParam).ok_or(ApiError::NoRoute)
    }
}

/// The `{challengeId}` of a path (a login by push).
pub struct ChallengeIdParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ChallengeIdParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        path_param(parts, "challengeId").await.map(ChallengeIdParam).ok_or(ApiError::NoRoute)
    }
}

/// The `x-poll-token` header of a login by push.
pub struct PollToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PollToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        header(parts, "x-poll-token")
            .filter(|t| (16..=128).contains(&t.len()))
            .map(|t| PollToken(t.to_owned()))
            .ok_or(ApiError::malformed("INVALID_POLL_TOKEN", "The x-poll-token header must hold the poll token."))
    }
}

/// The `x-otp` header: six digits, nothing else.
pub struct XOtp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for XOtp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        header(parts, "x-otp")
            .and_then(crate::otp::normalize)
            .map(XOtp)
            .ok_or(ApiError::malformed("INVALID_OTP_HEADER", "The x-otp header must hold a 6-digit code."))
    }
}

/// The `x-otp` header of a change it proves: six digits, or a recovery code (told apart by its
/// form), normalised.
pub struct XOtpProof(pub String);

impl<S: Send + Sync> FromRequestParts<S> for XOtpProof {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        header(parts, "x-otp")
            .and_then(|h| crate::otp::normalize(h).or_else(|| crate::model::recovery::normalize(h)))
            .map(XOtpProof)
            .ok_or(ApiError::malformed(
                "INVALID_OTP_HEADER",
                "The x-otp header must hold a 6-digit code or a recovery code.",
            ))
    }
}

/// The `x-otp` header as sent, if any: proof that only some changes need.
pub struct MaybeXOtp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeXOtp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(MaybeXOtp(header(parts, "x-otp").map(str::to_owned)))
    }
}

async fn path_param(parts: &mut Parts, name: &str) -> Option<String> {
    let params = RawPathParams::from_request_parts(parts, &()).await.ok()?;
    params.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_owned())
}

/// The `{channel}` of a one-time-password path (`SMS`), or 409 `CHANNEL_NOT_SUPPORTED`.
pub struct OtpChannel(pub FactorChannel);
/// The `{channel}` of a push path (`AUTHY`, `BIOMETRIC`), or 409 `CHANNEL_NOT_SUPPORTED`.
pub struct PushChannel(pub FactorChannel);

async fn channel(parts: &mut Parts, kind: FactorType) -> Result<FactorChannel, ApiError> {
    let raw = path_param(parts, "channel").await;
    Ok(raw.and_then(|c| FactorChannel::parse(kind, &c)).ok_or(Rule::ChannelNotSupported)?)
}

impl<S: Send + Sync> FromRequestParts<S> for OtpChannel {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        channel(parts, FactorType::Otp).await.map(OtpChannel)
    }
}

/// The `{channel}` of a step-up by one-time code: `SMS`, or `EMAIL` (the verified address),
/// or 409 `CHANNEL_NOT_SUPPORTED`.
pub struct StepUpChannel(pub crate::app::otp_step_up::StepUpChannel);

impl<S: Send + Sync> FromRequestParts<S> for StepUpChannel {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        use crate::app::otp_step_up::StepUpChannel as C;
        match path_param(parts, "channel").await.as_deref() {
            Some("SMS") => Ok(StepUpChannel(C::Sms)),
            Some("EMAIL") => Ok(StepUpChannel(C::Email)),
            _ => Err(Rule::ChannelNotSupported.into()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PushChannel {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        channel(parts, FactorType::Push).await.map(PushChannel)
    }
}

/// One query parameter, if present.
pub fn query_param(parts_query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(parts_query?.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The body as a JSON object; `Body` needs one, [`OptionalBody`] takes an empty body as `{}`.
async fn json_object(req: Request, empty_ok: bool) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    if let Some(ct) = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::malformed("BODY_TOO_LARGE", format!("The request body is larger than {MAX_BODY_BYTES} bytes."))
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if empty_ok {
            Ok(serde_json::Map::new())
        } else {
            Err(ApiError::malformed("INVALID_JSON", "A JSON body is required."))
        };
    }
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::malformed("INVALID_JSON", "The body must be a JSON object.")),
        Err(_) => Err(ApiError::malformed("INVALID_JSON", "The body is not valid JSON.")),
    }
}

/// A JSON object body, read field by field with [`Fields`] (every problem answered at once).
pub struct Body(pub Fields);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        json_object(req, false).await.map(|map| Body(Fields::new(map)))
    }
}

/// A JSON object body that may also be empty.
pub struct OptionalBody(pub Fields);

impl<S: Send + Sync> FromRequest<S> for OptionalBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        json_object(req, true).await.map(|map| OptionalBody(Fields::new(map)))
    }
}
