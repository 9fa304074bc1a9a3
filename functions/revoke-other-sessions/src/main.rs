//! Lambda function for `POST /sessions/revoke_others`; its handler is [`shared::api::surface1::revoke_other_sessions`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::REVOKE_OTHER_SESSIONS)).await
}
