//! The table of endpoints: method, path, Lambda function name and handler. API Gateway routes
//! in AWS; this table routes for the local server and the tests, to the very same handlers.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::handlers;
use crate::http::HandlerResult;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
pub type Handler = for<'a> fn(&'a App, Request) -> BoxFuture<'a, HandlerResult>;

pub struct Route {
    pub method: Method,
    /// API Gateway's path syntax: `{name}` is one path segment.
    pub path: &'static str,
    /// The package under `functions/`, the SAM function (in UpperCamelCase) and `events/<name>.json`.
    pub function: &'static str,
    pub handler: Handler,
}

macro_rules! route {
    ($method:ident $path:literal => $function:literal, $module:ident) => {
        Route {
            method: Method::$method,
            path: $path,
            function: $function,
            handler: |app, req| Box::pin(handlers::$module::handle(app, req)),
        }
    };
}

pub fn routes() -> Vec<Route> {
    vec![
        route!(POST "/users" => "register", register),
        route!(POST "/login_with_password" => "login-with-password", login_with_password),
        route!(GET "/identities" => "list-identities", list_identities),
        route!(POST "/logout" => "logout", logout),
        route!(POST "/identities" => "create-identity", create_identity),
        route!(POST "/access_token" => "access-token", access_token),
        route!(POST "/passwords/update" => "update-password", update_password),
        route!(GET "/authentication_factors" => "list-factors", list_factors),
        route!(POST "/authentication_factors/otp/{channel}" => "enrol-otp-factor", enrol_otp_factor),
        route!(POST "/authentication_factors/otp/{channel}/verify" => "verify-otp-factor", verify_otp_factor),
        route!(POST "/authentication_factors/push/{channel}" => "enrol-push-factor", enrol_push_factor),
        route!(DELETE "/authentication_factors/push/{channel}" => "remove-push-factor", remove_push_factor),
        route!(POST "/stepup/challenges/otp/{channel}" => "stepup-otp", stepup_otp),
        route!(POST "/stepup/challenges/otp/{channel}/verify" => "stepup-otp-verify", stepup_otp_verify),
        route!(POST "/stepup/challenges/push/{channel}" => "stepup-push", stepup_push),
        route!(GET "/stepup/challenges/push/{channel}/{id}" => "stepup-push-status", stepup_push_status),
        route!(POST "/stepup/challenges/push/{channel}/{id}/approve" => "stepup-push-answer", stepup_push_answer),
        route!(POST "/stepup/challenges/push/{channel}/{id}/reject" => "stepup-push-answer", stepup_push_answer),
        route!(POST "/auth/login" => "auth-login", auth_login),
        route!(POST "/auth/login/refresh" => "auth-refresh", auth_refresh),
        route!(POST "/auth/logout" => "auth-logout", auth_logout),
        route!(GET "/.well-known/jwks.json" => "jwks", jwks),
        route!(GET "/auth/me" => "auth-me", auth_me),
        route!(POST "/auth/otp/methods/sms" => "add-sms-method", add_sms_method),
        route!(POST "/auth/otp/methods/totp" => "add-totp-method", add_totp_method),
        route!(DELETE "/auth/otp/methods/totp" => "remove-totp-method", remove_totp_method),
        route!(GET "/auth/otp/code" => "send-otp-code", send_otp_code),
        route!(POST "/auth/otp/code" => "verify-otp-code", verify_otp_code),
    ]
}

pub enum Match<'r> {
    Found(&'r Route, HashMap<String, String>),
    MethodNotAllowed,
    NotFound,
}

fn match_path(pattern: &str, path: &str) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    let mut want = pattern.trim_matches('/').split('/');
    let mut got = path.trim_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {
                params.insert(w[1..w.len() - 1].to_owned(), g.to_owned());
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

pub fn find<'r>(routes: &'r [Route], method: &Method, path: &str) -> Match<'r> {
    let mut path_matched = false;
    for route in routes {
        if let Some(params) = match_path(route.path, path) {
            if route.method == *method {
                return Match::Found(route, params);
            }
            path_matched = true;
        }
    }
    if path_matched { Match::MethodNotAllowed } else { Match::NotFound }
}

/// Routes a request as API Gateway would: path parameters set, 404 and 405 answered here.
pub async fn dispatch(app: &App, routes: &[Route], req: Request) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // API Gateway hands over the query string parsed; a plain HTTP request carries it in the URI.
    let req = match (req.query_string_parameters_ref(), req.uri().query()) {
        (None, Some(q)) => {
            let query: HashMap<String, String> = form_urlencoded::parse(q.as_bytes()).into_owned().collect();
            req.with_query_string_parameters(query)
        }
        _ => req,
    };
    let outcome = match find(routes, &method, &path) {
        Match::Found(route, params) => (route.handler)(app, req.with_path_parameters(params)).await,
        Match::MethodNotAllowed => http_error(req, AuthError::MethodNotAllowed).await,
        Match::NotFound => http_error(req, AuthError::NotFound).await,
    };
    // Handlers never return Err; should one ever, it is still an answer, not a dropped request.
    outcome.unwrap_or_else(|_| AuthError::internal("handler returned an error").into_response())
}

async fn http_error(req: Request, error: AuthError) -> HandlerResult {
    crate::http::serve(req, "route", |_, _| async move { Err::<Response<Body>, _>(error) }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_segment_by_segment() {
        let p = match_path("/stepup/challenges/push/{channel}/{id}", "/stepup/challenges/push/AUTHY/42").unwrap();
        assert_eq!(p["channel"], "AUTHY");
        assert_eq!(p["id"], "42");
        assert!(match_path("/users", "/users/1").is_none());
        assert!(match_path("/a/{x}", "/a/").is_none());
    }

    #[test]
    fn unknown_paths_and_methods_are_told_apart() {
        let routes = routes();
        assert!(matches!(find(&routes, &Method::GET, "/identities"), Match::Found(..)));
        assert!(matches!(find(&routes, &Method::DELETE, "/identities"), Match::MethodNotAllowed));
        assert!(matches!(find(&routes, &Method::GET, "/nowhere"), Match::NotFound));
    }

    #[test]
    fn every_function_name_is_unique_per_route() {
        let routes = routes();
        for (i, a) in routes.iter().enumerate() {
            for b in &routes[i + 1..] {
                assert!(!(a.path == b.path && a.method == b.method), "{} {} twice", a.method, a.path);
            }
        }
    }
}
