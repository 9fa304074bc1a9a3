//! Lambda function for `POST /users/delete`; its handler is [`shared::api::surface1::delete_account`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("delete-account").await
}
