//! Lambda function for `POST /authentication_factors/passkey/verify`; its handler is [`shared::api::surface1::verify_passkey_factor`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("verify-passkey-factor").await
}
