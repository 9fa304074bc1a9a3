//! Lambda function for `DELETE /authentication_factors/push/{channel}`; the logic is in [`shared::handlers::remove_push_factor`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::remove_push_factor, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| remove_push_factor::handle(&app, req))).await
}
