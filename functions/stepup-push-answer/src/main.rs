//! Lambda function for `POST /stepup/challenges/push/{channel}/{id}/approve and /reject`; the logic is in [`shared::handlers::stepup_push_answer`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::stepup_push_answer, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| stepup_push_answer::handle(&app, req))).await
}
