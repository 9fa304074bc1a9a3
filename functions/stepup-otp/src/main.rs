//! Lambda function for `POST /stepup/challenges/otp/{channel}`; the logic is in [`shared::handlers::stepup_otp`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::stepup_otp, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| stepup_otp::handle(&app, req))).await
}
