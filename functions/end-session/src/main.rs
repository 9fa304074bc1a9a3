//! Lambda function for `DELETE /sessions/{id}`; its handler is [`shared::api::surface1::end_session`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::END_SESSION)).await
}
