//! Lambda function for `GET /security_events`; its handler is [`shared::api::surface1::list_security_events`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::LIST_SECURITY_EVENTS)).await
}
