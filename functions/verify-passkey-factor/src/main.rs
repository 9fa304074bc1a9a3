//! Lambda function for `POST /authentication_factors/passkey/verify`; its handler is [`shared::api::surface1::verify_passkey_factor`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::VERIFY_PASSKEY_FACTOR)).await
}
