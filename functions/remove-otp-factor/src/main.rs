//! Lambda function for `DELETE /authentication_factors/otp/{channel}`; its handler is [`shared::api::surface1::remove_otp_factor`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("remove-otp-factor").await
}
