//! Lambda function for `DELETE /sessions/{id}`; its handler is [`shared::api::surface1::end_session`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("end-session").await
}
