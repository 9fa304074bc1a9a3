//! Lambda function for `POST /logout`; the logic is in [`shared::handlers::logout`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::logout, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| logout::handle(&app, req))).await
}
