//! Lambda function for `POST /auth/otp/methods/totp`; the logic is in [`shared::handlers::add_totp_method`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::add_totp_method, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| add_totp_method::handle(&app, req))).await
}
