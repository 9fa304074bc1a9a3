//! Lambda function for `POST /authentication_factors/otp/{channel}`; the logic is in [`shared::handlers::enrol_otp_factor`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::enrol_otp_factor, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| enrol_otp_factor::handle(&app, req))).await
}
