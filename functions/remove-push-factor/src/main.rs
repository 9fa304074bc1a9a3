//! Lambda function for `DELETE /authentication_factors/push/{channel}`; its handler is [`shared::api::surface1::remove_push_factor`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("remove-push-factor").await
}
