//! Lambda function for `POST /login_via_biometrics`; its handler is [`shared::api::surface1::login_via_biometrics`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::LOGIN_VIA_BIOMETRICS)).await
}
