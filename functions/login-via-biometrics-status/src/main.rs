//! Lambda function for `GET /login_via_biometrics/{challengeId}`; its handler is [`shared::api::surface1::login_via_biometrics_status`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::LOGIN_VIA_BIOMETRICS_STATUS)).await
}
