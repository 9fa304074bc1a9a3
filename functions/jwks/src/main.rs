//! Lambda function for `GET /.well-known/jwks.json`; its handler is [`shared::api::surface2::jwks`].

use lambda_http::{Error, run};
use shared::{App, api, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(api::lambda::function(app.into(), api::routes::JWKS)).await
}
