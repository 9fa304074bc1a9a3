//! Serving one Lambda function: its routes only, behind API Gateway.

use axum::Router;
use lambda_http::{Request, RequestExt};
use tower::ServiceBuilder;
use tower::util::MapRequest;

use crate::api::extract::AppState;
use crate::api::routes;

/// The service a Lambda function runs with `lambda_http::run`: the routes of `function`, with
/// the path as the client sent it. (`lambda_http` puts the API Gateway stage in front of the
/// path, `/prod/users`, unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set; the raw path
/// it keeps beside is what the routes match, whatever the environment says.)
pub fn function(app: AppState, function: &str) -> MapRequest<Router, fn(Request) -> Request> {
    ServiceBuilder::new().map_request(raw_path as fn(Request) -> Request).service(routes::of_function(app, function))
}

fn raw_path(mut req: Request) -> Request {
    if req.request_context_ref().is_none() {
        return req;
    }
    let raw = req.raw_http_path().to_owned();
    if raw.is_empty() || raw == req.uri().path() {
        return req;
    }
    let with_query = match req.uri().query() {
        Some(q) => format!("{raw}?{q}"),
        None => raw,
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = with_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}
