//! Lambda function for `POST /access_token`; the logic is in [`shared::handlers::access_token`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::access_token, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| access_token::handle(&app, req))).await
}
