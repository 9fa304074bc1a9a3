//! Lambda function for `GET /identities`; the logic is in [`shared::handlers::list_identities`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::list_identities, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| list_identities::handle(&app, req))).await
}
