//! Lambda function for `GET /auth/me`; the logic is in [`shared::handlers::auth_me`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::auth_me, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| auth_me::handle(&app, req))).await
}
