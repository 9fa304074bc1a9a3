//! What every handler shares at the HTTP edge: the request context (`request-ref`, caller IP,
//! user agent), the wrapper that turns a handler's `Result` into a response and one log line,
//! strict JSON body parsing, and response builders.

use std::future::Future;
use std::time::Instant;

use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::error::{AuthError, FieldErrorKind, InvalidField};

/// Largest request body accepted; an authentication request has no reason to be bigger.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// What a Lambda handler returns. Handlers never return `Err`: every failure is a response.
pub type HandlerResult = Result<Response<Body>, lambda_http::Error>;

/// Facts about the request that handlers need besides its body.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub request_ref: String,
    pub source_ip: String,
    pub user_agent: String,
}

impl Ctx {
    fn from_request(req: &Request) -> Self {
        let request_ref = crate::crypto::random_token_id().unwrap_or_else(|_| "unavailable".into());
        let source_ip = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(c)) => c.identity.source_ip.clone(),
            Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.clone(),
            _ => None,
        }
        .unwrap_or_else(|| "unknown".into());
        let user_agent = header_str(req.headers(), "user-agent").unwrap_or("unknown").chars().take(512).collect();
        Ctx { request_ref, source_ip, user_agent }
    }
}

/// Runs a handler body, maps its error, stamps `request-ref` and logs one line per request.
pub async fn serve<F, Fut>(req: Request, operation: &'static str, run: F) -> HandlerResult
where
    F: FnOnce(Ctx, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, AuthError>>,
{
    let ctx = Ctx::from_request(&req);
    let request_ref = ctx.request_ref.clone();
    let span = tracing::info_span!("request", operation, request_ref = %request_ref);
    let started = Instant::now();
    let mut response = async {
        let response = run(ctx, req).await.unwrap_or_else(AuthError::into_response);
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "handled"
        );
        response
    }
    .instrument(span)
    .await;
    if let Ok(v) = HeaderValue::from_str(&request_ref) {
        response.headers_mut().insert("request-ref", v);
    }
    Ok(response)
}

/// [`serve`] for surface 2, whose errors are `{"code", "message"}` and whose authentication
/// failures are 403: field errors and 401s are rewritten into that shape here, once.
pub async fn serve_surface2<F, Fut>(req: Request, operation: &'static str, run: F) -> HandlerResult
where
    F: FnOnce(Ctx, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, AuthError>>,
{
    serve(req, operation, move |ctx, req| {
        let fut = run(ctx, req);
        async move { fut.await.map_err(surface2_error) }
    })
    .await
}

fn surface2_error(e: AuthError) -> AuthError {
    match e {
        AuthError::Invalid { fields, .. } => {
            let detail: Vec<String> = fields
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}",
                        f.field_name,
                        serde_json::to_string(&f.error).unwrap_or_default().trim_matches('"')
                    )
                })
                .collect();
            AuthError::bad_request("INVALID_REQUEST", format!("Your request is invalid ({}).", detail.join(", ")))
        }
        AuthError::Unauthorized(message) => AuthError::Forbidden(message),
        AuthError::Locked { retry_after } => AuthError::AccountLocked { retry_after },
        AuthError::Conflict(code) => AuthError::bad_request(code, "The request conflicts with the account's state."),
        other => other,
    }
}

pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Body::Text(String::from_utf8(bytes).unwrap_or_default()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Bodies of an auth service carry tokens and personal data: never let a cache keep them.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn ok<T: Serialize>(body: &T) -> Response<Body> {
    json(StatusCode::OK, body)
}

pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The bearer token of the `Authorization` header, if it has the right form.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = header_str(req.headers(), "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref().and_then(|p| p.first(name)).map(str::to_owned)
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|p| p.first(name)).map(str::to_owned)
}

/// The raw body, checked for size and content type.
fn body_bytes(req: &Request) -> Result<&[u8], AuthError> {
    if let Some(ct) = header_str(req.headers(), "content-type") {
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            return Err(AuthError::UnsupportedMediaType);
        }
    }
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(AuthError::bad_request(
            "BODY_TOO_LARGE",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    Ok(bytes)
}

/// The body as a JSON object; an empty body counts as `{}` where `empty_ok`.
pub fn json_object(req: &Request, empty_ok: bool) -> Result<serde_json::Map<String, serde_json::Value>, AuthError> {
    let bytes = body_bytes(req)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if empty_ok {
            Ok(serde_json::Map::new())
        } else {
            Err(AuthError::bad_request("INVALID_JSON", "A JSON body is required."))
        };
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(AuthError::bad_request("INVALID_JSON", "The body must be a JSON object.")),
        Err(_) => Err(AuthError::bad_request("INVALID_JSON", "The body is not valid JSON.")),
    }
}

/// Parses a typed body where the field-level messages of [`Fields`] are not needed.
pub fn parse<T: DeserializeOwned>(req: &Request) -> Result<T, AuthError> {
    let map = json_object(req, true)?;
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|_| AuthError::bad_request("INVALID_REQUEST", "The body does not have the expected fields."))
}

/// Reads fields out of a JSON object and collects every problem, so a client learns all that is
/// wrong with a request in one answer, in the seeds' `invalidFields` shape.
pub struct Fields {
    map: serde_json::Map<String, serde_json::Value>,
    errors: Vec<InvalidField>,
}

impl Fields {
    pub fn new(map: serde_json::Map<String, serde_json::Value>) -> Self {
        Fields { map, errors: Vec::new() }
    }

    pub fn from_request(req: &Request) -> Result<Self, AuthError> {
        json_object(req, false).map(Self::new)
    }

    fn lookup(&self, path: &str) -> Option<&serde_json::Value> {
        let mut parts = path.split('.');
        let mut cur = self.map.get(parts.next()?)?;
        for part in parts {
            cur = cur.as_object()?.get(part)?;
        }
        Some(cur).filter(|v| !v.is_null())
    }

    pub fn error(&mut self, field: &str, kind: FieldErrorKind, params: &[&str]) {
        self.errors.push(InvalidField::new(field, kind).with_params(params.iter().map(|p| p.to_string())));
    }

    /// A string at `path` (dots walk into objects) of `min..=max` characters.
    pub fn string(&mut self, path: &str, min: usize, max: usize) -> Option<String> {
        match self.lookup(path) {
            None => {
                self.error(path, FieldErrorKind::Required, &[]);
                None
            }
            Some(serde_json::Value::String(s)) => {
                let len = s.chars().count();
                if len == 0 || s.trim().is_empty() && min > 0 {
                    self.error(path, FieldErrorKind::HasText, &[]);
                    None
                } else if len < min || len > max {
                    self.error(path, FieldErrorKind::Size, &[&min.to_string(), &max.to_string()]);
                    None
                } else {
                    Some(s.clone())
                }
            }
            Some(_) => {
                self.error(path, FieldErrorKind::Regex, &["string"]);
                None
            }
        }
    }

    pub fn optional_string(&mut self, path: &str, min: usize, max: usize) -> Option<String> {
        self.lookup(path)?;
        self.string(path, min, max)
    }

    /// A string at `path` that must be one of `allowed`.
    pub fn one_of(&mut self, path: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let value = self.string(path, 1, 64)?;
        match allowed.iter().find(|a| **a == value) {
            Some(a) => Some(a),
            None => {
                self.error(path, FieldErrorKind::In, allowed);
                None
            }
        }
    }

    /// Whether `field` was already found invalid.
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field_name == field)
    }

    pub fn present(&self, path: &str) -> bool {
        self.lookup(path).is_some()
    }

    /// Ends reading: every problem found, or nothing.
    pub fn finish(self) -> Result<(), AuthError> {
        if self.errors.is_empty() { Ok(()) } else { Err(AuthError::invalid(self.errors)) }
    }
}
