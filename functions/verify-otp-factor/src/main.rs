//! Lambda function for `POST /authentication_factors/otp/{channel}/verify`; its handler is [`shared::api::surface1::verify_otp_factor`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("verify-otp-factor").await
}
