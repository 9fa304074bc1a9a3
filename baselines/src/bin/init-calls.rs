//! The other baseline of `make cold-start`: what a function's init waits on besides its own code,
//! measured alone in a fresh process, the way a function's init makes them: the SDK
//! configuration loaded once, then one Secrets Manager `GetSecretValue` and one DynamoDB
//! `GetItem` (each client's first call, connection included); and aws-lc's first random bytes
//! (its generator seeds itself then: in AWS the first TLS handshake pays it). Prints one JSON
//! line of milliseconds. With `together`, the fetch and the `GetItem` are made at the same time
//! instead, as a function's init makes them, and the line gives how long the pair took. Reads `AUTH_SIGNING_SECRET_ID` and `TABLE_NAME`, and the SDK's own variables
//! (endpoints, region, credentials).

use std::time::Instant;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::types::AttributeValue;

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("AUTH_SIGNING_SECRET_ID")?;
    let table = std::env::var("TABLE_NAME")?;
    let started = Instant::now();
    let aws = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let config = ms(started);
    let key = [("PK", "WARMUP"), ("SK", "WARMUP")].map(|(k, v)| (k.to_owned(), AttributeValue::S(v.to_owned())));

    if std::env::args().nth(1).as_deref() == Some("together") {
        let (secrets, dynamo) = (aws_sdk_secretsmanager::Client::new(&aws), aws_sdk_dynamodb::Client::new(&aws));
        let at = Instant::now();
        let (fetched, got) = tokio::join!(
            secrets.get_secret_value().secret_id(secret).send(),
            dynamo.get_item().table_name(table).set_key(Some(key.into_iter().collect())).send()
        );
        let together = ms(at);
        fetched?;
        got?;
        println!(r#"{{"together_ms": {together:.2}}}"#);
        return Ok(());
    }

    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let at = Instant::now();
    secrets.get_secret_value().secret_id(secret).send().await?;
    let secret_fetch = ms(at);

    let dynamo = aws_sdk_dynamodb::Client::new(&aws);
    let at = Instant::now();
    dynamo.get_item().table_name(table).set_key(Some(key.into_iter().collect())).send().await?;
    let dynamo_first = ms(at);

    let at = Instant::now();
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "aws-lc's generator failed")?;
    let random_first = ms(at);

    println!(
        r#"{{"config_ms": {config:.2}, "secret_fetch_ms": {secret_fetch:.2}, "dynamodb_first_ms": {dynamo_first:.2}, "random_first_ms": {random_first:.2}}}"#
    );
    Ok(())
}
