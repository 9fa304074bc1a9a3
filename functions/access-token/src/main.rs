//! Lambda function for `POST /access_token`; its handler is [`shared::api::surface1::access_token`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::ACCESS_TOKEN)).await
}
