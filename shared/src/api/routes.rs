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
use crate::api::routed::Routed;
use crate::api::{layers, oidc as op, surface1 as s1, surface2 as s2};

/// Which seed an endpoint belongs to: it decides the shape of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    One,
    Two,
    /// The OpenID Connect provider: OAuth 2.0's error shapes.
    Oidc,
}

impl From<Surface> for crate::metrics::Surface {
    fn from(s: Surface) -> Self {
        match s {
            Surface::One => crate::metrics::Surface::One,
            Surface::Two => crate::metrics::Surface::Two,
            Surface::Oidc => crate::metrics::Surface::Oidc,
        }
    }
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
            handler: |filter| {
                on(filter, Routed { handler: $handler, operation: $function, surface: Surface::$surface, path: $path })
            },
        }
    };
}

/// `functions/register`.
pub const REGISTER: &[Route] = &[route!(One POST "/users" => "register", s1::register::handle)];

/// `functions/login-with-password`.
pub const LOGIN_WITH_PASSWORD: &[Route] =
    &[route!(One POST "/login_with_password" => "login-with-password", s1::login_with_password::handle)];

/// `functions/list-identities`.
pub const LIST_IDENTITIES: &[Route] =
    &[route!(One GET "/identities" => "list-identities", s1::list_identities::handle)];

/// `functions/logout`.
pub const LOGOUT: &[Route] = &[route!(One POST "/logout" => "logout", s1::logout::handle)];

/// `functions/create-identity`.
pub const CREATE_IDENTITY: &[Route] =
    &[route!(One POST "/identities" => "create-identity", s1::create_identity::handle)];

/// `functions/access-token`.
pub const ACCESS_TOKEN: &[Route] = &[route!(One POST "/access_token" => "access-token", s1::access_token::handle)];

/// `functions/update-password`.
pub const UPDATE_PASSWORD: &[Route] =
    &[route!(One POST "/passwords/update" => "update-password", s1::update_password::handle)];

/// `functions/list-factors`.
pub const LIST_FACTORS: &[Route] =
    &[route!(One GET "/authentication_factors" => "list-factors", s1::list_factors::handle)];

/// `functions/enrol-otp-factor`.
pub const ENROL_OTP_FACTOR: &[Route] =
    &[route!(One POST "/authentication_factors/otp/{channel}" => "enrol-otp-factor", s1::enrol_otp_factor::handle)];

/// `functions/verify-otp-factor`.
pub const VERIFY_OTP_FACTOR: &[Route] = &[
    route!(One POST "/authentication_factors/otp/{channel}/verify" => "verify-otp-factor", s1::verify_otp_factor::handle),
];

/// `functions/enrol-push-factor`.
pub const ENROL_PUSH_FACTOR: &[Route] =
    &[route!(One POST "/authentication_factors/push/{channel}" => "enrol-push-factor", s1::enrol_push_factor::handle)];

/// `functions/remove-otp-factor`.
pub const REMOVE_OTP_FACTOR: &[Route] =
    &[route!(One DELETE "/authentication_factors/otp/{channel}" => "remove-otp-factor", s1::remove_otp_factor::handle)];

/// `functions/remove-push-factor`.
pub const REMOVE_PUSH_FACTOR: &[Route] = &[
    route!(One DELETE "/authentication_factors/push/{channel}" => "remove-push-factor", s1::remove_push_factor::handle),
];

/// `functions/stepup-otp`.
pub const STEPUP_OTP: &[Route] =
    &[route!(One POST "/stepup/challenges/otp/{channel}" => "stepup-otp", s1::stepup_otp::handle)];

/// `functions/stepup-otp-verify`.
pub const STEPUP_OTP_VERIFY: &[Route] =
    &[route!(One POST "/stepup/challenges/otp/{channel}/verify" => "stepup-otp-verify", s1::stepup_otp_verify::handle)];

/// `functions/stepup-push`.
pub const STEPUP_PUSH: &[Route] =
    &[route!(One POST "/stepup/challenges/push/{channel}" => "stepup-push", s1::stepup_push::handle)];

/// `functions/stepup-push-status`.
pub const STEPUP_PUSH_STATUS: &[Route] =
    &[route!(One GET "/stepup/challenges/push/{channel}/{id}" => "stepup-push-status", s1::stepup_push_status::handle)];

/// `functions/stepup-push-answer`.
pub const STEPUP_PUSH_ANSWER: &[Route] = &[
    route!(One POST "/stepup/challenges/push/{channel}/{id}/approve" => "stepup-push-answer", s1::stepup_push_answer::approve),
    route!(One POST "/stepup/challenges/push/{channel}/{id}/reject" => "stepup-push-answer", s1::stepup_push_answer::reject),
];

/// `functions/auth-login`.
pub const AUTH_LOGIN: &[Route] = &[route!(Two POST "/auth/login" => "auth-login", s2::auth_login::handle)];

/// `functions/auth-refresh`.
pub const AUTH_REFRESH: &[Route] =
    &[route!(Two POST "/auth/login/refresh" => "auth-refresh", s2::auth_refresh::handle)];

/// `functions/auth-logout`.
pub const AUTH_LOGOUT: &[Route] = &[route!(Two POST "/auth/logout" => "auth-logout", s2::auth_logout::handle)];

/// `functions/jwks`.
pub const JWKS: &[Route] = &[route!(Two GET "/.well-known/jwks.json" => "jwks", s2::jwks::handle)];

/// `functions/auth-me`.
pub const AUTH_ME: &[Route] = &[route!(Two GET "/auth/me" => "auth-me", s2::auth_me::handle)];

/// `functions/add-sms-method`.
pub const ADD_SMS_METHOD: &[Route] =
    &[route!(Two POST "/auth/otp/methods/sms" => "add-sms-method", s2::add_sms_method::handle)];

/// `functions/add-totp-method`.
pub const ADD_TOTP_METHOD: &[Route] =
    &[route!(Two POST "/auth/otp/methods/totp" => "add-totp-method", s2::add_totp_method::handle)];

/// `functions/remove-totp-method`.
pub const REMOVE_TOTP_METHOD: &[Route] =
    &[route!(Two DELETE "/auth/otp/methods/totp" => "remove-totp-method", s2::remove_totp_method::handle)];

/// `functions/send-otp-code`.
pub const SEND_OTP_CODE: &[Route] = &[route!(Two GET "/auth/otp/code" => "send-otp-code", s2::send_otp_code::handle)];

/// `functions/verify-otp-code`.
pub const VERIFY_OTP_CODE: &[Route] =
    &[route!(Two POST "/auth/otp/code" => "verify-otp-code", s2::verify_otp_code::handle)];

/// `functions/list-sessions`.
pub const LIST_SESSIONS: &[Route] = &[route!(One GET "/sessions" => "list-sessions", s1::list_sessions::handle)];

/// `functions/end-session`.
pub const END_SESSION: &[Route] = &[route!(One DELETE "/sessions/{id}" => "end-session", s1::end_session::handle)];

/// `functions/revoke-other-sessions`.
pub const REVOKE_OTHER_SESSIONS: &[Route] =
    &[route!(One POST "/sessions/revoke_others" => "revoke-other-sessions", s1::revoke_other_sessions::handle)];

/// `functions/lost-password-start`.
pub const LOST_PASSWORD_START: &[Route] =
    &[route!(One POST "/passwords/lost_password/start" => "lost-password-start", s1::lost_password_start::handle)];

/// `functions/lost-password-resume`.
pub const LOST_PASSWORD_RESUME: &[Route] =
    &[route!(One POST "/passwords/lost_password/resume" => "lost-password-resume", s1::lost_password_resume::handle)];

/// `functions/validate-password`.
pub const VALIDATE_PASSWORD: &[Route] =
    &[route!(One POST "/passwords/validate" => "validate-password", s1::validate_password::handle)];

/// `functions/send-email-verification`.
pub const SEND_EMAIL_VERIFICATION: &[Route] = &[
    route!(One POST "/users/verification/email/send" => "send-email-verification", s1::send_email_verification::handle),
];

/// `functions/verify-email`.
pub const VERIFY_EMAIL: &[Route] =
    &[route!(One POST "/users/verification/email/verify" => "verify-email", s1::verify_email::handle)];

/// `functions/list-security-events`.
pub const LIST_SECURITY_EVENTS: &[Route] =
    &[route!(One GET "/security_events" => "list-security-events", s1::list_security_events::handle)];

/// `functions/enrol-passkey-factor`.
pub const ENROL_PASSKEY_FACTOR: &[Route] =
    &[route!(One POST "/authentication_factors/passkey" => "enrol-passkey-factor", s1::enrol_passkey_factor::handle)];

/// `functions/verify-passkey-factor`.
pub const VERIFY_PASSKEY_FACTOR: &[Route] = &[
    route!(One POST "/authentication_factors/passkey/verify" => "verify-passkey-factor", s1::verify_passkey_factor::handle),
];

/// `functions/remove-passkey-factor`.
pub const REMOVE_PASSKEY_FACTOR: &[Route] = &[
    route!(One DELETE "/authentication_factors/passkey/{credentialId}" => "remove-passkey-factor", s1::remove_passkey_factor::handle),
];

/// `functions/stepup-passkey`.
pub const STEPUP_PASSKEY: &[Route] =
    &[route!(One POST "/stepup/challenges/passkey" => "stepup-passkey", s1::stepup_passkey::handle)];

/// `functions/stepup-passkey-verify`.
pub const STEPUP_PASSKEY_VERIFY: &[Route] = &[
    route!(One POST "/stepup/challenges/passkey/verify" => "stepup-passkey-verify", s1::stepup_passkey_verify::handle),
];

/// `functions/login-with-passkey-options`.
pub const LOGIN_WITH_PASSKEY_OPTIONS: &[Route] = &[
    route!(One POST "/login_with_passkey/options" => "login-with-passkey-options", s1::login_with_passkey_options::handle),
];

/// `functions/login-with-passkey`.
pub const LOGIN_WITH_PASSKEY: &[Route] =
    &[route!(One POST "/login_with_passkey" => "login-with-passkey", s1::login_with_passkey::handle)];

/// `functions/auth-login-passkey-options`.
pub const AUTH_LOGIN_PASSKEY_OPTIONS: &[Route] = &[
    route!(Two POST "/auth/login/passkey/options" => "auth-login-passkey-options", s2::auth_login_passkey_options::handle),
];

/// `functions/auth-login-passkey`.
pub const AUTH_LOGIN_PASSKEY: &[Route] =
    &[route!(Two POST "/auth/login/passkey" => "auth-login-passkey", s2::auth_login_passkey::handle)];

/// `functions/login-via-biometrics`.
pub const LOGIN_VIA_BIOMETRICS: &[Route] =
    &[route!(One POST "/login_via_biometrics" => "login-via-biometrics", s1::login_via_biometrics::handle)];

/// `functions/login-via-biometrics-status`.
pub const LOGIN_VIA_BIOMETRICS_STATUS: &[Route] = &[
    route!(One GET "/login_via_biometrics/{challengeId}" => "login-via-biometrics-status", s1::login_via_biometrics_status::handle),
];

// The owner's own: recovery codes, the e-mail address changed, the account exported and deleted.
mod recovery;
pub use recovery::{ADD_RECOVERY_METHOD, GENERATE_RECOVERY_CODES, STEPUP_RECOVERY_CODE_VERIFY};
mod email;
pub use email::{CHANGE_EMAIL, CHANGE_EMAIL_REVERT, CHANGE_EMAIL_VERIFY, ME_EMAIL_CHANGE, ME_EMAIL_CHANGE_VERIFY};
mod account;
pub use account::{AUTH_ME_DELETE, DELETE_ACCOUNT, EXPORT_ACCOUNT};
// The OpenID Connect provider.
mod oidc;
pub use oidc::{PROVIDER, provider_routes};

/// Every function's routes, in the order of the table above.
pub const FUNCTIONS: &[&[Route]] = &[
    REGISTER,
    LOGIN_WITH_PASSWORD,
    LIST_IDENTITIES,
    LOGOUT,
    CREATE_IDENTITY,
    ACCESS_TOKEN,
    UPDATE_PASSWORD,
    LIST_FACTORS,
    ENROL_OTP_FACTOR,
    VERIFY_OTP_FACTOR,
    ENROL_PUSH_FACTOR,
    REMOVE_PUSH_FACTOR,
    REMOVE_OTP_FACTOR,
    STEPUP_OTP,
    STEPUP_OTP_VERIFY,
    STEPUP_PUSH,
    STEPUP_PUSH_STATUS,
    STEPUP_PUSH_ANSWER,
    AUTH_LOGIN,
    AUTH_REFRESH,
    AUTH_LOGOUT,
    JWKS,
    AUTH_ME,
    ADD_SMS_METHOD,
    ADD_TOTP_METHOD,
    REMOVE_TOTP_METHOD,
    SEND_OTP_CODE,
    VERIFY_OTP_CODE,
    LIST_SESSIONS,
    END_SESSION,
    REVOKE_OTHER_SESSIONS,
    LOST_PASSWORD_START,
    LOST_PASSWORD_RESUME,
    VALIDATE_PASSWORD,
    SEND_EMAIL_VERIFICATION,
    VERIFY_EMAIL,
    LIST_SECURITY_EVENTS,
    ENROL_PASSKEY_FACTOR,
    VERIFY_PASSKEY_FACTOR,
    REMOVE_PASSKEY_FACTOR,
    STEPUP_PASSKEY,
    STEPUP_PASSKEY_VERIFY,
    LOGIN_WITH_PASSKEY_OPTIONS,
    LOGIN_WITH_PASSKEY,
    AUTH_LOGIN_PASSKEY_OPTIONS,
    AUTH_LOGIN_PASSKEY,
    LOGIN_VIA_BIOMETRICS,
    LOGIN_VIA_BIOMETRICS_STATUS,
    GENERATE_RECOVERY_CODES,
    STEPUP_RECOVERY_CODE_VERIFY,
    ADD_RECOVERY_METHOD,
    CHANGE_EMAIL,
    CHANGE_EMAIL_VERIFY,
    CHANGE_EMAIL_REVERT,
    ME_EMAIL_CHANGE,
    ME_EMAIL_CHANGE_VERIFY,
    EXPORT_ACCOUNT,
    DELETE_ACCOUNT,
    AUTH_ME_DELETE,
];

/// Every route.
pub fn routes() -> Vec<&'static Route> {
    FUNCTIONS.iter().flat_map(|f| f.iter()).collect()
}

/// The routes of the function named `function` (tests look functions up by name; a Lambda
/// binary names its constant, so that it links its own handlers only).
pub fn named(function: &str) -> &'static [Route] {
    FUNCTIONS.iter().copied().find(|f| f.first().is_some_and(|r| r.function == function)).unwrap_or(&[])
}

/// A router over `routes`, behind the edge every answer passes through ([`layers::Edge`]).
pub fn router<'r>(app: AppState, routes: impl IntoIterator<Item = &'r Route>) -> layers::Edge {
    router_with(app, routes, Router::new())
}

/// [`router`] with `extra` routes of the local server besides the table's, behind the same
/// edge (`request-ref`, `no-store`, the log line).
pub fn router_with<'r>(
    app: AppState,
    routes: impl IntoIterator<Item = &'r Route>,
    extra: Router<AppState>,
) -> layers::Edge {
    let app_origins = app.config.cors_origins.clone();
    let mut router = Router::new();
    for route in routes {
        let Ok(filter) = MethodFilter::try_from(route.method.clone()) else { continue };
        // Each handler does its route's own work around itself (`Routed`): no per-route layer.
        router = router.route(route.path, (route.handler)(filter));
    }
    let router = router.merge(extra).fallback(no_route).method_not_allowed_fallback(method_not_allowed).with_state(app);
    layers::edge(router, &app_origins)
}

/// The API as a service: a router behind its edge ([`layers::Edge`]) and the one step that must
/// come before routing (a path's leading and trailing slashes do not count, as API Gateway
/// matches it).
pub type Api = MapRequest<layers::Edge, fn(Request) -> Request>;

/// Every route: what `local-api` serves.
pub fn all(app: AppState) -> Api {
    before_routing(router(app, routes()))
}

/// Wraps a router behind its edge in [`layers::trim_slashes`].
pub fn before_routing(router: layers::Edge) -> Api {
    ServiceBuilder::new().map_request(layers::trim_slashes as fn(Request) -> Request).service(router)
}

/// The routes of one Lambda function (one, or two for `stepup-push-answer`).
pub fn of_function(app: AppState, routes: &[Route]) -> Api {
    before_routing(router(app, routes))
}

/// The service of the function that answers browsers' CORS preflights on every path (API
/// Gateway sends each path's `OPTIONS` to it): the edge's CORS layer answers them before
/// routing; anything else is an unknown route.
pub fn preflight(cors_origins: &[String]) -> Api {
    before_routing(layers::edge(Router::new().fallback(no_route), cors_origins))
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
