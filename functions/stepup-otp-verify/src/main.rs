//! Lambda function for `POST /stepup/challenges/otp/{channel}/verify`; the logic is in [`shared::handlers::stepup_otp_verify`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::stepup_otp_verify, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| stepup_otp_verify::handle(&app, req))).await
}
