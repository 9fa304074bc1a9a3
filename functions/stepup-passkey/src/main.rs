//! Lambda function for `POST /stepup/challenges/passkey`; its handler is [`shared::api::surface1::stepup_passkey`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::STEPUP_PASSKEY)).await
}
