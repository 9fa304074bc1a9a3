//! Lambda function for `DELETE /authentication_factors/otp/{channel}`; its handler is [`shared::api::surface1::remove_otp_factor`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::REMOVE_OTP_FACTOR)).await
}
