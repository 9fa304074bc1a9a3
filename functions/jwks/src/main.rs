//! Lambda function for `GET /.well-known/jwks.json`; the logic is in [`shared::handlers::jwks`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::jwks, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| jwks::handle(&app, req))).await
}
