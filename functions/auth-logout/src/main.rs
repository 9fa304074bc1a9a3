//! Lambda function for `POST /auth/logout`; the logic is in [`shared::handlers::auth_logout`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::auth_logout, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| auth_logout::handle(&app, req))).await
}
