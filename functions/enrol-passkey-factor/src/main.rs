//! Lambda function for `POST /authentication_factors/passkey`; its handler is [`shared::api::surface1::enrol_passkey_factor`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("enrol-passkey-factor").await
}
