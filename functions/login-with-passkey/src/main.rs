//! Lambda function for `POST /login_with_passkey`; its handler is [`shared::api::surface1::login_with_passkey`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::LOGIN_WITH_PASSKEY)).await
}
