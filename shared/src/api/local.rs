//! The whole API over plain HTTP, for `cargo run -p local-api` and the end-to-end tests: the
//! same router the Lambda functions serve a part of, with the caller's address from the socket.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Request;
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::api::extract::AppState;
use crate::api::layers;
use crate::api::routes::{self, Api};

/// Every route; `GET /_bench/hello` (the baseline of `make bench`) and the operator's
/// `POST /_admin/{action}` only when the settings ask (otherwise they are ordinary 404s).
pub fn router(app: AppState) -> Api {
    let mut extra = Router::new();
    if app.config.bench_hello {
        extra = extra.route("/_bench/hello", get(|| async { "hello" }));
    }
    if app.config.admin_local {
        let admin = post(crate::api::admin::local).layer(axum::middleware::map_request(layers::operation("admin")));
        extra = extra.route("/_admin/{action}", admin);
    }
    routes::before_routing(routes::router_with(app, routes::routes(), extra))
}

/// Serves until the task is dropped or the listener fails.
pub async fn serve(app: AppState, listener: TcpListener) -> std::io::Result<()> {
    axum::serve(listener, axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(router(app)))
        .await
}
