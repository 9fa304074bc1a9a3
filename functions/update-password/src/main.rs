//! Lambda function for `POST /passwords/update`; the logic is in [`shared::handlers::update_password`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::update_password, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| update_password::handle(&app, req))).await
}
