//! Lambda function for `GET /login_via_biometrics/{challengeId}`; its handler is [`shared::api::surface1::login_via_biometrics_status`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("login-via-biometrics-status").await
}
