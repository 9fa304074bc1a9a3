//! Lambda function for `GET /auth/otp/code`; its handler is [`shared::api::surface2::send_otp_code`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::SEND_OTP_CODE)).await
}
