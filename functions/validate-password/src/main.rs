//! Lambda function for `POST /passwords/validate`; its handler is [`shared::api::surface1::validate_password`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::VALIDATE_PASSWORD)).await
}
