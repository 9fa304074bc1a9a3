//! The cross-cutting parts of every answer, as layers rather than per-handler code: a fresh
//! `request-ref` on each request and its answer, one log line per request (operation, status,
//! time, and the request's metrics: [`crate::metrics`]), `Cache-Control: no-store`, and the
//! body limit.

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::api::error::ApiError;
use crate::api::extract::{MAX_BODY_BYTES, REQUEST_REF};

/// What the transport accepts at all; the JSON extractors accept far less ([`MAX_BODY_BYTES`]),
/// after the route's own checks (a caller, a budget) have run.
pub const TRANSPORT_LIMIT: usize = 1024 * 1024;

/// Wraps a router in the layers every request passes through, outermost last.
pub fn edge(router: Router, cors_origins: &[String]) -> Router {
    let request_ref = HeaderName::from_static(REQUEST_REF);
    router
        // Outermost: a browser's preflight is answered before anything else runs.
        .layer(cors(cors_origins))
        .layer(RequestBodyLimitLayer::new(TRANSPORT_LIMIT))
        .layer(axum::middleware::map_response(body_too_large))
        // Bodies of an auth service carry tokens and personal data: never let a cache keep them
        // (unless a handler said otherwise: the public keys of the JWKS may be cached).
        .layer(SetResponseHeaderLayer::if_not_present(CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(PropagateRequestIdLayer::new(request_ref.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let request_ref = req.headers().get(REQUEST_REF).and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", operation = tracing::field::Empty, request_ref = %request_ref)
                })
                .on_request(())
                .on_response(|res: &Response, latency: Duration, _: &Span| {
                    // Written by the service, not as a tracing event: the metrics must not depend
                    // on RUST_LOG, and EMF wants its members at the line's top level.
                    let request_ref = res.headers().get(REQUEST_REF).and_then(|v| v.to_str().ok()).unwrap_or("");
                    crate::metrics::finish(res.status().as_u16(), latency, request_ref);
                })
                .on_failure(()),
        )
        .layer(Metered)
        .layer(axum::middleware::from_fn(challenge_on_401))
        .layer(SetRequestIdLayer::new(request_ref, FreshRef))
        // The reference is the service's, never the caller's: one sent in is dropped.
        .layer(axum::middleware::map_request(|mut req: Request| async move {
            req.headers_mut().remove(REQUEST_REF);
            req
        }))
}

/// Browsers on the allowed origins (`AUTH_CORS_ORIGINS`) may call the API: preflights are
/// answered with the methods and the request headers the API reads, and answers expose the
/// headers clients need. No credentials (cookies) are involved: tokens travel in
/// `Authorization`, so an allowed origin is named exactly, never `*`. With no origin allowed,
/// no answer carries `Access-Control-Allow-Origin` and a browser refuses every cross-origin call.
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-otp"),
            HeaderName::from_static("x-poll-token"),
        ])
        .expose_headers([
            HeaderName::from_static(REQUEST_REF),
            header::RETRY_AFTER,
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(600))
}

/// Every 401 carries its challenge (RFC 6750 §3, RFC 9110 §11.6.1): `Bearer`, with
/// `error="invalid_token"` when a token was sent and refused.
async fn challenge_on_401(req: Request, next: axum::middleware::Next) -> Response {
    let sent = req.headers().contains_key(axum::http::header::AUTHORIZATION);
    let mut res = next.run(req).await;
    if res.status() == axum::http::StatusCode::UNAUTHORIZED {
        let challenge = if sent { r#"Bearer error="invalid_token""# } else { "Bearer" };
        res.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    res
}

/// 128 random bits, as every id the service makes.
#[derive(Clone, Copy)]
struct FreshRef;

impl MakeRequestId for FreshRef {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = crate::crypto::random_token_id().unwrap_or_else(|_| "unavailable".into());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Runs each request with its own metrics collector ([`crate::metrics::scope`]), which the
/// request's line is written from.
#[derive(Clone, Copy)]
struct Metered;

impl<S> tower::Layer<S> for Metered {
    type Service = MeteredService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MeteredService(inner)
    }
}

#[derive(Clone)]
struct MeteredService<S>(S);

impl<S, B> tower::Service<axum::http::Request<B>> for MeteredService<S>
where
    S: tower::Service<axum::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = crate::metrics::Scope<S::Future>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        crate::metrics::scope(self.0.call(req))
    }
}

/// Names the operation in the request's log line.
pub fn record_operation(name: &'static str) {
    Span::current().record("operation", name);
    crate::metrics::name_operation(name, None);
}

/// A layer's function that names the operation of a route in its log line.
pub fn operation(
    name: &'static str,
) -> impl Fn(Request) -> std::future::Ready<Request> + Clone + Send + Sync + 'static {
    move |req| {
        record_operation(name);
        std::future::ready(req)
    }
}

/// Names a route of the table's operation, with its surface (which a failed login's metric
/// names).
pub fn record_route(name: &'static str, surface: crate::metrics::Surface) {
    Span::current().record("operation", name);
    crate::metrics::name_operation(name, Some(surface));
}

/// The body limit answers a body announced too large before any handler runs: in the shape of
/// every other malformed request.
async fn body_too_large(response: Response) -> Response {
    let from_limit = response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && !response.headers().contains_key(CONTENT_TYPE)
        || response.status() == StatusCode::PAYLOAD_TOO_LARGE
            && response.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if !from_limit {
        return response;
    }
    crate::api::surface1::error::render(&ApiError::malformed(
        "BODY_TOO_LARGE",
        format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
    ))
}

/// A path's leading and trailing slashes do not count: `/users/` is `/users`.
pub fn trim_slashes(mut req: Request) -> Request {
    let path = req.uri().path();
    let trimmed = path.trim_matches('/');
    if path.len() == trimmed.len() + 1 && path.starts_with('/') {
        return req;
    }
    let trimmed = format!("/{trimmed}");
    set_path(&mut req, &trimmed);
    req
}

/// Replaces the path of a request's URI, keeping its query. A path that would not make a valid
/// URI leaves the request as it was (routing then answers it).
pub fn set_path<B>(req: &mut axum::http::Request<B>, path: &str) {
    let with_query = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = with_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
}
