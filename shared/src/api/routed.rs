//! A route of the table as one handler: what every route does around its own handler (routing
//! as the table means it, the keys' freshness, the operation's name in the request's line, the
//! surface's error shapes), done in the handler's own future. These were four per-route layers
//! (`map_request`, `map_response` and two `from_fn` route layers); each boxed a future and
//! cloned a boxed service on every request, which was a tenth of an authenticated read's time
//! (docs/performance.md, "The hot path").

use std::future::Future;
use std::pin::Pin;

use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method};
use axum::response::Response;

use crate::api::error::ApiError;
use crate::api::extract::AppState;
use crate::api::routes::Surface;
use crate::api::{layers, surface1 as s1, surface2 as s2};

/// A route's handler with what the table says of its route.
#[derive(Clone, Copy)]
pub struct Routed<H> {
    pub handler: H,
    /// The route's function, which names its operation.
    pub operation: &'static str,
    pub surface: Surface,
    /// The route's path as the table writes it (what axum's `MatchedPath` holds).
    pub path: &'static str,
}

impl<H, T> Handler<T, AppState> for Routed<H>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, req: Request, app: AppState) -> Self::Future {
        if let Some(refused) = refused(&req, self.path) {
            return Box::pin(std::future::ready(refused));
        }
        let render = match self.surface {
            Surface::One => s1::error::render,
            Surface::Two => s2::error::render,
            Surface::Oidc => crate::api::oidc::error::render,
        };
        Box::pin(async move {
            // A warm instance's keys are reloaded once they are `KEY_MAX_AGE_SECS` old, before
            // the route uses them (one atomic read when they are not).
            app.refresh_keys_if_stale().await;
            layers::record_route(self.operation, self.surface.into());
            crate::api::error::render_with(self.handler.call(req, app).await, render)
        })
    }
}

/// Routing as the route table means it, which axum's does not: HEAD is not an alias of GET
/// (405 with the path's methods: a HEAD would run the handler, session slide and all), and a
/// `{parameter}` is never an empty segment (404). Both in surface 1's shape, as unrouted
/// requests are.
fn refused(req: &Request, path: &'static str) -> Option<Response> {
    if req.method() == Method::HEAD {
        layers::record_operation("route");
        let mut refused = s1::error::render(&ApiError::MethodNotAllowed);
        let allowed: Vec<String> =
            crate::api::routes::routes().into_iter().filter(|r| r.path == path).map(|r| r.method.to_string()).collect();
        if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
            refused.headers_mut().insert(axum::http::header::ALLOW, value);
        }
        return Some(refused);
    }
    if req.uri().path().split('/').skip(1).any(str::is_empty) {
        layers::record_operation("route");
        return Some(s1::error::render(&ApiError::NoRoute));
    }
    None
}
