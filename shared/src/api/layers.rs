//! The cross-cutting parts of every answer, at the edge rather than in handlers: a fresh
//! `request-ref` on each request and its answer, one log line per request (operation, status,
//! time, and the request's metrics: [`crate::metrics`]), `Cache-Control: no-store`, the
//! challenge of a 401, CORS and the body limit.
//!
//! One service ([`Edge`]) over tower-http's body limit and CORS over the router, rather than a
//! stack of `Router::layer`s: axum boxes each such layer around every route, and a boxed route
//! clones the boxed routes under it on every call, so ten layers cost dozens of allocations per
//! request, the hello route's too (docs/performance.md, "The hot path").

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use tower_http::cors::Cors;
use tower_http::limit::RequestBodyLimit;
use tracing::{Instrument, Span};

use crate::api::error::ApiError;
use crate::api::extract::{MAX_BODY_BYTES, REQUEST_REF};

/// What the transport accepts at all; the JSON extractors accept far less ([`MAX_BODY_BYTES`]),
/// after the route's own checks (a caller, a budget) have run.
pub const TRANSPORT_LIMIT: usize = 1024 * 1024;

/// Wraps a router in what every request passes through.
pub fn edge(router: Router, cors_origins: &[String]) -> Edge {
    let inner = tower::ServiceBuilder::new()
        .layer(tower_http::limit::RequestBodyLimitLayer::new(TRANSPORT_LIMIT))
        .layer(cors(cors_origins))
        .service(router);
    Edge { inner, streamed: None }
}

/// The edge of every request, outermost first: its fresh `request-ref`, its span and metrics
/// collector, then (in [`Edge::call`]'s future, on the answer) the body limit's refusal in the
/// surfaces' shape, `no-store`, the `request-ref`, the log line, the 401's challenge. Inside it,
/// the body limit, then CORS (a browser's preflight is answered there, and still gets its
/// reference, `no-store` and log line), then the routes.
#[derive(Clone)]
pub struct Edge {
    inner: RequestBodyLimit<Cors<Router>>,
    /// A path whose body is a stream its handler reads a bounded piece at a time, exempt from
    /// the transport limit ([`Edge::streaming`]), and the same routes without the limit.
    streamed: Option<(&'static str, Cors<Router>)>,
}

impl Edge {
    /// The same edge, but a request to `path` passes without the transport limit: the local
    /// server's operator import, whose body is a whole file that its handler reads a line at a
    /// time, each line bounded ([`crate::app::import`]). Everything else is as before.
    pub fn streaming(mut self, path: &'static str) -> Self {
        self.streamed = Some((path, self.inner.get_ref().clone()));
        self
    }
}

impl tower::Service<Request> for Edge {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        tower::Service::<Request>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let started = Instant::now();
        // The reference is the service's, never the caller's: one sent in is replaced.
        let request_ref = fresh_ref();
        req.headers_mut().insert(REQUEST_REF, request_ref.clone());
        let sent_token = req.headers().contains_key(AUTHORIZATION);
        let span = tracing::info_span!(
            "request",
            operation = tracing::field::Empty,
            request_ref = request_ref.to_str().unwrap_or("")
        );
        type Answer = Pin<Box<dyn Future<Output = Response> + Send>>;
        let answer: Answer = span.in_scope(|| match &mut self.streamed {
            Some((path, unlimited)) if req.uri().path() == *path => {
                let answer = unlimited.call(req);
                let answer: Answer = Box::pin(async move {
                    match answer.await {
                        Ok(response) => response.map(axum::body::Body::new),
                        Err(never) => match never {},
                    }
                });
                answer
            }
            _ => {
                let answer = self.inner.call(req);
                Box::pin(async move {
                    match answer.await {
                        Ok(response) => response.map(axum::body::Body::new),
                        Err(never) => match never {},
                    }
                })
            }
        });
        Box::pin(crate::metrics::scope(async move {
            let response = answer.instrument(span).await;
            let mut response = body_too_large(response);
            let status = response.status();
            // Bodies of an auth service carry tokens and personal data: never let a cache keep
            // them (unless a handler said otherwise: the public keys of the JWKS may be cached).
            let headers = response.headers_mut();
            if !headers.contains_key(CACHE_CONTROL) {
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            if !headers.contains_key(REQUEST_REF) {
                headers.insert(REQUEST_REF, request_ref);
            }
            // Written by the service, not as a tracing event: the metrics must not depend on
            // RUST_LOG, and EMF wants its members at the line's top level.
            let logged_ref = headers.get(REQUEST_REF).and_then(|v| v.to_str().ok()).unwrap_or("");
            crate::metrics::finish(status.as_u16(), started.elapsed(), logged_ref);
            // Every 401 carries its challenge (RFC 6750 §3, RFC 9110 §11.6.1): `Bearer`, with
            // `error="invalid_token"` when a token was sent and refused.
            if status == StatusCode::UNAUTHORIZED {
                let challenge = if sent_token { r#"Bearer error="invalid_token""# } else { "Bearer" };
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            }
            Ok(response)
        }))
    }
}

/// 128 random bits, as every id the service makes (from a per-thread pool of the operating
/// system's randomness: [`crate::crypto::pooled_random`]).
fn fresh_ref() -> HeaderValue {
    let id = crate::crypto::pooled_random::<16>().map(|b| crate::crypto::b64url(&b));
    HeaderValue::try_from(id.unwrap_or_else(|_| "unavailable".into()))
        .unwrap_or_else(|_| HeaderValue::from_static("unavailable"))
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
fn body_too_large(response: Response) -> Response {
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
