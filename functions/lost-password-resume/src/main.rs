//! Lambda function for `POST /passwords/lost_password/resume`; its handler is [`shared::api::surface1::lost_password_resume`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("lost-password-resume").await
}
