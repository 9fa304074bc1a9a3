//! Lambda function for `POST /auth/login/passkey/options`; its handler is [`shared::api::surface2::auth_login_passkey_options`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::AUTH_LOGIN_PASSKEY_OPTIONS)).await
}
