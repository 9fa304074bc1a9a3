//! Serving one Lambda function: its routes only, behind API Gateway.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use tower::ServiceBuilder;
use tower::util::MapRequest;

use crate::api::extract::AppState;
use crate::api::routes::{self, Api, Route};

/// The service a Lambda function runs with `lambda_http::run`: its own `routes` (so that its
/// binary links its own handlers only), with
/// the path as the client sent it. (`lambda_http` puts the API Gateway stage in front of the
/// path, `/prod/users`, unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set; the raw path
/// it keeps beside is what the routes match, whatever the environment says.)
pub fn function(app: AppState, routes: &[Route]) -> MapRequest<Api, fn(Request) -> axum::extract::Request> {
    let route = route_path as fn(Request) -> axum::extract::Request;
    ServiceBuilder::new().map_request(route).service(routes::of_function(app, routes))
}

/// The path the route table knows. A REST API says which resource it matched and with what
/// parameters: that rebuilds the path whatever stage, custom domain or base path the client
/// used. Otherwise the raw path, without the stage `lambda_http` put in front of it.
fn route_path(req: Request) -> axum::extract::Request {
    with_route_path(req).map(axum::body::Body::new)
}

fn with_route_path(mut req: Request) -> Request {
    let raw = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(c)) => match c.resource_path.as_deref() {
            Some(template) if !template.contains('+') => {
                let params = req.path_parameters_ref();
                let mut path = String::new();
                for segment in template.split('/').filter(|s| !s.is_empty()) {
                    path.push('/');
                    match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => path.push_str(params.and_then(|p| p.first(name)).unwrap_or("")),
                        None => path.push_str(segment),
                    }
                }
                path
            }
            _ => req.raw_http_path().to_owned(),
        },
        Some(_) => req.raw_http_path().to_owned(),
        None => return req,
    };
    if raw.is_empty() || raw == req.uri().path() {
        return req;
    }
    crate::api::layers::set_path(&mut req, &raw);
    req
}
