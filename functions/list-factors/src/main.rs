//! Lambda function for `GET /authentication_factors`; the logic is in [`shared::handlers::list_factors`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::list_factors, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| list_factors::handle(&app, req))).await
}
