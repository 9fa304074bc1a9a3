//! Lambda function for `POST /users/verification/email/send`; its handler is [`shared::api::surface1::send_email_verification`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::SEND_EMAIL_VERIFICATION)).await
}
