//! Lambda function for `GET /stepup/challenges/push/{channel}/{id}`; the logic is in [`shared::handlers::stepup_push_status`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::stepup_push_status, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| stepup_push_status::handle(&app, req))).await
}
