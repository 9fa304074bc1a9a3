//! Lambda function for `POST /sessions/revoke_others`; its handler is [`shared::api::surface1::revoke_other_sessions`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("revoke-other-sessions").await
}
