//! The table of endpoints (method, path, Lambda function, surface, handler) and the router
//! built from it. The local server serves every route; each Lambda function serves the routes
//! of its own function only. `tests/api/template.rs` checks `template.yaml`, `functions/`,
//! `events/` and the OpenAPI spec against this table.

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter, on};
use tower::ServiceBuilder;
use tower::util::MapRequest;

use crate::api::error::ApiError;
use crate::api::extract::AppState;
use crate::api::{layers, surface1 as s1, surface2 as s2};

/// Which seed an endpoint belongs to: it decides the shape of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    One,
    Two,
}

pub struct Route {
    pub method: Method,
    /// API Gateway's path syntax, which axum shares: `{name}` is one path segment.
    pub path: &'static str,
    /// The package under `functions/`, the SAM function (in UpperCamelCase) and `events/<name>.json`.
    pub function: &'static str,
    pub surface: Surface,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

macro_rules! route {
    ($surface:ident $method:ident $path:literal => $function:literal, $handler:path) => {
        Route {
            method: Method::$method,
            path: $path,
            function: $function,
            surface: Surface::$surface,
            handler: |filter| on(filter, $handler),
        }
    };
}

pub fn routes() -> Vec<Route> {
    vec![
        route!(One POST "/users" => "register", s1::register::handle),
        route!(One POST "/login_with_password" => "login-with-password", s1::login_with_password::handle),
        route!(One GET "/identities" => "list-identities", s1::list_identities::handle),
        route!(One POST "/logout" => "logout", s1::logout::handle),
        route!(One POST "/identities" => "create-identity", s1::create_identity::handle),
        route!(One POST "/access_token" => "access-token", s1::access_token::handle),
        route!(One POST "/passwords/update" => "update-password", s1::update_password::handle),
        route!(One GET "/authentication_factors" => "list-factors", s1::list_factors::handle),
        route!(One POST "/authentication_factors/otp/{channel}" => "enrol-otp-factor", s1::enrol_otp_factor::handle),
        route!(One POST "/authentication_factors/otp/{channel}/verify" => "verify-otp-factor", s1::verify_otp_factor::handle),
        route!(One POST "/authentication_factors/push/{channel}" => "enrol-push-factor", s1::enrol_push_factor::handle),
        route!(One DELETE "/authentication_factors/push/{channel}" => "remove-push-factor", s1::remove_push_factor::handle),
        route!(One POST "/stepup/challenges/otp/{channel}" => "stepup-otp", s1::stepup_otp::handle),
        route!(One POST "/stepup/challenges/otp/{channel}/verify" => "stepup-otp-verify", s1::stepup_otp_verify::handle),
        route!(One POST "/stepup/challenges/push/{channel}" => "stepup-push", s1::stepup_push::handle),
        route!(One GET "/stepup/challenges/push/{channel}/{id}" => "stepup-push-status", s1::stepup_push_status::handle),
        route!(One POST "/stepup/challenges/push/{channel}/{id}/approve" => "stepup-push-answer", s1::stepup_push_answer::approve),
        route!(One POST "/stepup/challenges/push/{channel}/{id}/reject" => "stepup-push-answer", s1::stepup_push_answer::reject),
        route!(Two POST "/auth/login" => "auth-login", s2::auth_login::handle),
        route!(Two POST "/auth/login/refresh" => "auth-refresh", s2::auth_refresh::handle),
        route!(Two POST "/auth/logout" => "auth-logout", s2::auth_logout::handle),
        route!(Two GET "/.well-known/jwks.json" => "jwks", s2::jwks::handle),
        route!(Two GET "/auth/me" => "auth-me", s2::auth_me::handle),
        route!(Two POST "/auth/otp/methods/sms" => "add-sms-method", s2::add_sms_method::handle),
        route!(Two POST "/auth/otp/methods/totp" => "add-totp-method", s2::add_totp_method::handle),
        route!(Two DELETE "/auth/otp/methods/totp" => "remove-totp-method", s2::remove_totp_method::handle),
        route!(Two GET "/auth/otp/code" => "send-otp-code", s2::send_otp_code::handle),
        route!(Two POST "/auth/otp/code" => "verify-otp-code", s2::verify_otp_code::handle),
    ]
}

/// A router over `routes`, with the layers every answer passes through.
pub fn router<'r>(app: AppState, routes: impl IntoIterator<Item = &'r Route>) -> Router {
    let mut router = Router::new();
    for route in routes {
        let Ok(filter) = MethodFilter::try_from(route.method.clone()) else { continue };
        let render: fn(Response) -> std::future::Ready<Response> = match route.surface {
            Surface::One => s1::error::layer,
            Surface::Two => s2::error::layer,
        };
        let endpoint = (route.handler)(filter)
            .layer(axum::middleware::map_response(render))
            .layer(axum::middleware::map_request(layers::operation(route.function)));
        router = router.route(route.path, endpoint);
    }
    let router = router
        .route_layer(axum::middleware::from_fn(layers::as_before))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app);
    layers::edge(router)
}

/// The API as a service: a router behind the one step that must come before routing (a path's
/// leading and trailing slashes do not count, as API Gateway matches it).
pub type Api = MapRequest<Router, fn(Request) -> Request>;

/// Every route: what `local-api` serves.
pub fn all(app: AppState) -> Api {
    before_routing(router(app, &routes()))
}

/// Wraps a router in [`layers::trim_slashes`].
pub fn before_routing(router: Router) -> Api {
    ServiceBuilder::new().map_request(layers::trim_slashes as fn(Request) -> Request).service(router)
}

/// The routes of one Lambda function (one, or two for `stepup-push-answer`).
pub fn of_function(app: AppState, function: &str) -> Api {
    before_routing(router(app, routes().iter().filter(|r| r.function == function)))
}

async fn no_route() -> Response {
    layers::record_operation("route");
    s1::error::render(&ApiError::NoRoute)
}

async fn method_not_allowed() -> Response {
    layers::record_operation("route");
    s1::error::render(&ApiError::MethodNotAllowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_method_and_path_is_routed_twice() {
        let routes = routes();
        for (i, a) in routes.iter().enumerate() {
            for b in &routes[i + 1..] {
                assert!(!(a.path == b.path && a.method == b.method), "{} {} twice", a.method, a.path);
            }
        }
    }
}
