//! Lambda function for `POST /passwords/lost_password/start`; its handler is [`shared::api::surface1::lost_password_start`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::LOST_PASSWORD_START)).await
}
