//! Lambda function for `GET /stepup/challenges/push/{channel}/{id}`; its handler is [`shared::api::surface1::stepup_push_status`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::STEPUP_PUSH_STATUS)).await
}
