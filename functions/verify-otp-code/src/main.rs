//! Lambda function for `POST /auth/otp/code`; its handler is [`shared::api::surface2::verify_otp_code`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::VERIFY_OTP_CODE)).await
}
