//! Lambda function for `POST /auth/otp/methods/totp`; its handler is [`shared::api::surface2::add_totp_method`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("add-totp-method").await
}
