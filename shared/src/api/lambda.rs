//! Serving one Lambda function: its routes only, behind API Gateway.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use tower::ServiceBuilder;
use tower::util::MapRequest;

use crate::App;
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

/// Runs the Lambda function named `function` (its package under `functions/`) until Lambda
/// stops it: logging, the [`App`] from the environment, then its routes ([`routes::named`])
/// under `lambda_http`. Each HTTP function's `main` is this one call, by name: everything
/// generic (the runtime, axum's handlers and extractors of its routes) is compiled here, once,
/// rather than again in each of the fleet's binaries, where it was most of each one's build.
///
/// The future is boxed on purpose: an `async fn`'s body is compiled again in every crate that
/// awaits it, while a boxed future is polled through its vtable, whose code lives here.
pub fn run(function_name: &'static str) -> Running {
    Box::pin(async move {
        crate::telemetry::init();
        let routes = routes::named(function_name);
        if routes.is_empty() {
            return Err(format!("no route is served by a function named {function_name}").into());
        }
        let app = App::from_env().await?;
        lambda_http::run(function(app.into(), routes)).await
    })
}

/// A function's whole life in Lambda, as [`run`] and [`run_preflight`] give it.
pub type Running = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), lambda_http::Error>>>>;

/// Runs the preflight function: browsers' CORS preflights on every path, answered with the
/// origins `AUTH_CORS_ORIGINS` allows ([`routes::preflight`]); it needs no [`App`].
pub fn run_preflight() -> Running {
    Box::pin(async {
        crate::telemetry::init();
        let config = crate::config::Config::from_env()?;
        crate::metrics::init(&config.metrics_namespace);
        let route = route_path as fn(Request) -> axum::extract::Request;
        lambda_http::run(ServiceBuilder::new().map_request(route).service(routes::preflight(&config.cors_origins)))
            .await
    })
}

/// The path the route table knows. A REST API says which resource it matched and with what
/// parameters: that rebuilds the path whatever stage, custom domain or base path the client
/// used. Otherwise the raw path, without the stage `lambda_http` put in front of it.
fn route_path(req: Request) -> axum::extract::Request {
    with_route_path(req).map(axum::body::Body::new)
}

/// What a path segment cannot hold as it is (RFC 3986's delimiters and what URIs never hold).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

fn with_route_path(mut req: Request) -> Request {
    let raw = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(c)) => match c.resource_path.as_deref() {
            Some(template) if !template.contains('+') => {
                let params = req.path_parameters_ref();
                let mut path = String::new();
                for segment in template.split('/').filter(|s| !s.is_empty()) {
                    path.push('/');
                    match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        // API Gateway hands path parameters over decoded: encoded again, a `/`,
                        // `?` or `#` in one stays inside its segment rather than choosing
                        // another route than the one API Gateway matched.
                        Some(name) => {
                            let value = params.and_then(|p| p.first(name)).unwrap_or("");
                            path.extend(percent_encoding::utf8_percent_encode(value, SEGMENT));
                        }
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

/// Runs the Lambda REQUEST authorizer other APIs attach ([`crate::api::authorizer`]).
pub fn run_authorizer() -> Running {
    Box::pin(async {
        crate::telemetry::init();
        let app = App::from_env().await?;
        lambda_runtime::run(lambda_runtime::service_fn(|event| crate::api::authorizer::handle(&app, event))).await
    })
}

/// Runs the operator's actions, invoked with IAM ([`crate::api::admin`]).
pub fn run_admin() -> Running {
    Box::pin(async {
        crate::telemetry::init();
        let app = App::from_env().await?;
        lambda_runtime::run(lambda_runtime::service_fn(|event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            crate::api::admin::invoke(&app, event.payload)
        }))
        .await
    })
}

/// Runs the consumer of the table's stream, which puts its security events on the bus
/// ([`crate::publish`]).
pub fn run_publisher() -> Running {
    Box::pin(async {
        crate::telemetry::init();
        // The configuration only for the metrics' namespace: each batch writes its own line.
        crate::metrics::init(&crate::config::Config::from_env()?.metrics_namespace);
        let sink = crate::publish::EventBridgeSink::from_env().await?;
        lambda_runtime::run(lambda_runtime::service_fn(|event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let sink = &sink;
            async move { crate::publish::handle(sink, &event.payload).await }
        }))
        .await
    })
}

/// Runs the Secrets Manager rotation of the key secrets ([`crate::rotation`]).
pub fn run_rotation() -> Running {
    Box::pin(async {
        crate::telemetry::init();
        let rotator = crate::rotation::Rotator::from_env().await;
        lambda_runtime::run(lambda_runtime::service_fn(|event| crate::rotation::handle(&rotator, event))).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path parameter API Gateway decoded cannot re-route the request: `X/reject?` matched as
    /// the `{id}` of `.../approve` stays one segment of the approve route.
    #[test]
    fn a_decoded_path_parameter_stays_in_its_segment() {
        let event = serde_json::json!({
            "resource": "/stepup/challenges/push/{channel}/{id}/approve",
            "path": "/stepup/challenges/push/BIOMETRIC/X%2Freject%3F/approve",
            "httpMethod": "POST",
            "headers": {}, "multiValueHeaders": {},
            "queryStringParameters": null, "multiValueQueryStringParameters": null,
            "pathParameters": {"channel": "BIOMETRIC", "id": "X/reject?"},
            "stageVariables": null,
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "stage": "prod", "requestId": "r",
                "resourcePath": "/stepup/challenges/push/{channel}/{id}/approve", "httpMethod": "POST",
                "path": "/prod/stepup/challenges/push/BIOMETRIC/X%2Freject%3F/approve",
                "identity": {"sourceIp": "203.0.113.10"}
            },
            "body": null, "isBase64Encoded": false
        });
        let req = lambda_http::request::from_str(&event.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let routed = with_route_path(req);
        assert_eq!(routed.uri().path(), "/stepup/challenges/push/BIOMETRIC/X%2Freject%3F/approve");
        assert_eq!(routed.uri().query(), None);
    }
}
