//! The whole API over plain HTTP, for `cargo run -p local-api` and the end-to-end tests: the
//! same router the Lambda functions serve a part of, with the caller's address from the socket.

use std::net::SocketAddr;

use axum::extract::Request;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::api::extract::AppState;
use crate::api::routes::{self, Api};

/// Every route, and `GET /_bench/hello` (the baseline of `make bench`) when the settings ask.
pub fn router(app: AppState) -> Api {
    let hello = app.config.bench_hello;
    let router = routes::router(app, routes::routes());
    let router = if hello { router.route("/_bench/hello", get(|| async { "hello" })) } else { router };
    routes::before_routing(router)
}

/// Serves until the task is dropped or the listener fails.
pub async fn serve(app: AppState, listener: TcpListener) -> std::io::Result<()> {
    axum::serve(listener, axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(router(app)))
        .await
}
