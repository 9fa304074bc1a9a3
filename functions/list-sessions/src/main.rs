//! Lambda function for `GET /sessions`; its handler is [`shared::api::surface1::list_sessions`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::LIST_SESSIONS)).await
}
