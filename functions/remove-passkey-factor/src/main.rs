//! Lambda function for `DELETE /authentication_factors/passkey/{credentialId}`; its handler is [`shared::api::surface1::remove_passkey_factor`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("remove-passkey-factor").await
}
