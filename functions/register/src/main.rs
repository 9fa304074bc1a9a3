//! Lambda function for `POST /users`; the logic is in [`shared::handlers::register`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::register, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| register::handle(&app, req))).await
}
