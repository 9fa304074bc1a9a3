//! Lambda function for `POST /identities`; the logic is in [`shared::handlers::create_identity`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::create_identity, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| create_identity::handle(&app, req))).await
}
