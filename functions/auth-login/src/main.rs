//! Lambda function for `POST /auth/login`; the logic is in [`shared::handlers::auth_login`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::auth_login, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| auth_login::handle(&app, req))).await
}
