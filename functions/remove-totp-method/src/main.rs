//! Lambda function for `DELETE /auth/otp/methods/totp`; the logic is in [`shared::handlers::remove_totp_method`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::remove_totp_method, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| remove_totp_method::handle(&app, req))).await
}
