//! Lambda function for `POST /auth/login/refresh`; the logic is in [`shared::handlers::auth_refresh`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::auth_refresh, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| auth_refresh::handle(&app, req))).await
}
