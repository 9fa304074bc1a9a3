//! Lambda function for `DELETE /auth/otp/methods/totp`; its handler is [`shared::api::surface2::remove_totp_method`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::REMOVE_TOTP_METHOD)).await
}
