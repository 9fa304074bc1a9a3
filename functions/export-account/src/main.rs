//! Lambda function for `GET /users/me/export`; its handler is [`shared::api::surface1::export_account`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("export-account").await
}
