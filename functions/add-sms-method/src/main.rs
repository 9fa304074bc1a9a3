//! Lambda function for `POST /auth/otp/methods/sms`; its handler is [`shared::api::surface2::add_sms_method`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::ADD_SMS_METHOD)).await
}
