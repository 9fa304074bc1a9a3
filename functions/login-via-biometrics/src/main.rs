//! Lambda function for `POST /login_via_biometrics`; its handler is [`shared::api::surface1::login_via_biometrics`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("login-via-biometrics").await
}
