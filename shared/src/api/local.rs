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

/// Every route; `GET /_bench/hello` (the baseline of `make bench`), the operator's
/// `POST /_admin/{action}` and the passkey demo page `GET /demo/passkeys` only when the settings
/// ask (otherwise they are ordinary 404s).
pub fn router(app: AppState) -> Api {
    let mut extra = Router::new();
    if app.config.bench_hello {
        extra = extra.route("/_bench/hello", get(|| async { "hello" }));
    }
    if app.config.admin_local {
        let admin = post(crate::api::admin::local).layer(axum::middleware::map_request(layers::operation("admin")));
        extra = extra.route("/_admin/{action}", admin);
        for action in crate::api::oidc::admin::ACTIONS {
            let clients =
                post(crate::api::oidc::admin::local).layer(axum::middleware::map_request(layers::operation("admin")));
            extra = extra.route(&format!("/_admin/{action}"), clients);
        }
        let import =
            post(crate::api::admin_import::local).layer(axum::middleware::map_request(layers::operation("admin")));
        extra = extra.route("/_admin/import", import);
        let export =
            post(crate::api::admin_export::local).layer(axum::middleware::map_request(layers::operation("admin")));
        extra = extra.route("/_admin/export", export);
    }
    if app.config.demo_pages {
        let page = get(|| async { axum::response::Html(PASSKEYS_DEMO) });
        extra = extra.route("/demo/passkeys", page.layer(axum::middleware::map_request(layers::operation("demo"))));
    }
    let admin_local = app.config.admin_local;
    let every = routes::routes().into_iter().chain(routes::provider_routes());
    let edge = routes::router_with(app, every, extra);
    // The import's body is the file, streamed: not held to the transport limit.
    routes::before_routing(if admin_local { edge.streaming("/_admin/import") } else { edge })
}

/// The passkey demo page: plain HTML and script, served from the binary.
const PASSKEYS_DEMO: &str = include_str!("demo/passkeys.html");

/// Serves until the task is dropped or the listener fails.
pub async fn serve(app: AppState, listener: TcpListener) -> std::io::Result<()> {
    axum::serve(listener, axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(router(app)))
        .await
}
