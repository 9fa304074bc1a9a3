//! Lambda function for `POST /authentication_factors/recovery_codes`; its handler is [`shared::api::surface1::generate_recovery_codes`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("generate-recovery-codes").await
}
