//! A plain HTTP/1.1 server over the router, for `cargo run -p local-api` and end-to-end tests.
//! It turns each request into the same `lambda_http::Request` API Gateway would hand a Lambda
//! function (path and query parameters, source IP), so handlers cannot tell the difference.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use tokio::net::TcpListener;

use crate::app::App;
use crate::error::AuthError;
use crate::router::{self, Route};

/// Bodies larger than this are cut off before the handler sees them (handlers refuse far less).
const READ_LIMIT: usize = 1024 * 1024;

pub struct LocalServer {
    app: Arc<App>,
    routes: Arc<Vec<Route>>,
}

impl LocalServer {
    pub fn new(app: Arc<App>) -> Self {
        let mut routes = router::routes();
        if app.config.bench_hello {
            routes.push(Route {
                method: lambda_http::http::Method::GET,
                path: "/_bench/hello",
                function: "hello",
                handler: |app, req| Box::pin(hello(app, req)),
            });
        }
        LocalServer { app, routes: Arc::new(routes) }
    }

    /// Serves until the task is dropped or the listener fails.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, peer) = listener.accept().await?;
            let app = Arc::clone(&self.app);
            let routes = Arc::clone(&self.routes);
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let app = Arc::clone(&app);
                    let routes = Arc::clone(&routes);
                    async move { Ok::<_, Infallible>(handle(&app, &routes, req, peer).await) }
                });
                if let Err(e) =
                    http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service).await
                {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            });
        }
    }
}

/// The baseline of `make bench`: the least a `lambda_http` handler can do.
pub async fn hello(_app: &App, _req: lambda_http::Request) -> crate::http::HandlerResult {
    Ok(lambda_http::Response::new(Body::Text("hello".into())))
}

async fn handle(
    app: &App,
    routes: &[Route],
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let response = match Limited::new(body, READ_LIMIT).collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            let mut context = ApiGatewayProxyRequestContext::default();
            context.identity.source_ip = Some(peer.ip().to_string());
            let body = if bytes.is_empty() { Body::Empty } else { Body::Binary(bytes.to_vec()) };
            let req = lambda_http::Request::from_parts(parts, body)
                .with_request_context(RequestContext::ApiGatewayV1(context));
            router::dispatch(app, routes, req).await
        }
        Err(_) => AuthError::bad_request("BODY_TOO_LARGE", "The request body is too large.").into_response(),
    };
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}
