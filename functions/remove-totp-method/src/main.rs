//! Lambda function for `DELETE /auth/otp/methods/totp`; its handler is [`shared::api::surface2::remove_totp_method`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("remove-totp-method").await
}
