//! Lambda function for `GET /auth/otp/code`; the logic is in [`shared::handlers::send_otp_code`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::send_otp_code, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| send_otp_code::handle(&app, req))).await
}
