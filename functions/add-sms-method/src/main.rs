//! Lambda function for `POST /auth/otp/methods/sms`; the logic is in [`shared::handlers::add_sms_method`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::add_sms_method, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| add_sms_method::handle(&app, req))).await
}
