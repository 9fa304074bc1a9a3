//! The operator's import and export through S3, as the `admin` function runs them:
//! `{"action": "import", "source": "s3://bucket/key"}` (with `dry_run` and the Firebase
//! parameters `base64_signer_key`, `base64_salt_separator`, `rounds`, `mem_cost` as fields) and
//! `{"action": "export", "target": "s3://bucket/key"}` (with `include_secrets`). The bucket must
//! be the stack's transfer bucket (`AUTH_TRANSFER_BUCKET`, the template's `TransferBucket`
//! parameter), the only one the function may read and write.
//!
//! Both stream: the import reads the object's body as it arrives ([`crate::app::import`]), the
//! export writes a multipart upload a part of [`PART_BYTES`] at a time, completed only when
//! every account was written (a failed export leaves no object, only an upload that S3 drops
//! with the bucket's lifecycle rule). Progress goes to the function's log every
//! [`PROGRESS_EVERY`] lines; a line's content never does.

use std::collections::HashMap;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use crate::app::App;
use crate::app::{export_accounts, import};
use crate::domain::error::BoxError;

/// The size of each part of an export's upload (S3's least is 5 MiB, the last part excepted).
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// How often the log tells an import's or export's progress, in lines.
pub const PROGRESS_EVERY: u64 = 10_000;

/// The variable naming the transfer bucket.
pub const BUCKET_VARIABLE: &str = "AUTH_TRANSFER_BUCKET";

/// Whether an `admin` event's action is one of this module's.
pub fn handles(action: &str) -> bool {
    matches!(action, "import" | "export")
}

/// The S3 client of the environment, made once; path-style addressing when an endpoint is set
/// (moto, the Lambda emulator), as such endpoints serve no bucket sub-domains.
pub async fn client_from_env() -> &'static Client {
    static CLIENT: tokio::sync::OnceCell<Client> = tokio::sync::OnceCell::const_new();
    CLIENT
        .get_or_init(|| async {
            // The same configuration (and trust store) as every other AWS call.
            let config = crate::aws::sdk_config().await;
            let path_style = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"].iter().any(|v| std::env::var_os(v).is_some());
            Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(path_style).build())
        })
        .await
}

/// Runs the `admin` event's import or export with the environment's client and bucket.
pub async fn invoke_from_env(app: &App, event: &Value) -> Result<Value, BoxError> {
    let bucket = std::env::var(BUCKET_VARIABLE).unwrap_or_default();
    invoke(app, client_from_env().await, &bucket, event).await
}

/// Runs the `admin` event's import or export through `client`, on `bucket` only.
pub async fn invoke(app: &App, client: &Client, bucket: &str, event: &Value) -> Result<Value, BoxError> {
    match event.get("action").and_then(Value::as_str) {
        Some("import") => import_from(app, client, bucket, event).await,
        Some("export") => export_to(app, client, bucket, event).await,
        _ => Err("`action` must be import or export".into()),
    }
}

/// `s3://bucket/key` of field `field`, in the transfer bucket.
fn location(event: &Value, field: &str, allowed: &str) -> Result<(String, String), String> {
    let url = event.get(field).and_then(Value::as_str).ok_or(format!("`{field}` must be an s3://bucket/key URL"))?;
    let (bucket, key) = url
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or(format!("`{field}` must be an s3://bucket/key URL"))?;
    if allowed.is_empty() {
        return Err("no transfer bucket is configured (the stack's TransferBucket parameter)".into());
    }
    if bucket != allowed {
        return Err(format!("`{field}` must name the stack's transfer bucket, {allowed}"));
    }
    Ok((bucket.to_owned(), key.to_owned()))
}

/// An event's fields as the local server's query parameters, for the same parsing.
fn as_query(event: &Value, names: &[&str]) -> Result<HashMap<String, String>, String> {
    let mut query = HashMap::new();
    for name in names {
        match event.get(*name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => drop(query.insert((*name).to_owned(), s.clone())),
            Some(v @ (Value::Bool(_) | Value::Number(_))) => drop(query.insert((*name).to_owned(), v.to_string())),
            Some(_) => return Err(format!("`{name}` must be a string, a number or a boolean")),
        }
    }
    Ok(query)
}

fn failed(what: &str, e: impl std::error::Error) -> BoxError {
    format!("{what}: {}", DisplayErrorContext(e)).into()
}

async fn import_from(app: &App, client: &Client, allowed: &str, event: &Value) -> Result<Value, BoxError> {
    let (bucket, key) = location(event, "source", allowed)?;
    let names = ["dry_run", "base64_signer_key", "base64_salt_separator", "rounds", "mem_cost"];
    let options = crate::api::admin_import::options(&as_query(event, &names)?)?;
    #[cfg(feature = "test-util")]
    crate::testing::note_transfer("s3.get");
    let object = client.get_object().bucket(&bucket).key(&key).send().await;
    let object = object.map_err(|e| failed(&format!("could not read s3://{bucket}/{key}"), e))?;
    let reader = Box::pin(object.body.into_async_read());
    let mut told = 0;
    let report = import::import(app, reader, &options, |read, report| {
        if read / PROGRESS_EVERY > told {
            told = read / PROGRESS_EVERY;
            let (imported, skipped, refused) = (report.imported, report.skipped, report.refused);
            tracing::info!(lines = read, imported, skipped, refused, "operator import in progress");
        }
    })
    .await
    .map_err(|e| crate::domain::error::chain(&e))?;
    Ok(serde_json::to_value(report)?)
}

async fn export_to(app: &App, client: &Client, allowed: &str, event: &Value) -> Result<Value, BoxError> {
    let (bucket, key) = location(event, "target", allowed)?;
    let options = crate::api::admin_export::options(&as_query(event, &["include_secrets"])?)?;
    #[cfg(feature = "test-util")]
    crate::testing::note_transfer("s3.put");
    let created = client
        .create_multipart_upload()
        .bucket(&bucket)
        .key(&key)
        .content_type("application/x-ndjson")
        .send()
        .await
        .map_err(|e| failed(&format!("could not write s3://{bucket}/{key}"), e))?;
    let upload_id = created.upload_id().ok_or("S3 gave the upload no id")?.to_owned();
    let (writer, reader) = tokio::io::duplex(256 * 1024);
    let mut told = 0;
    let exporting = export_accounts::export(app, options, writer, |summary| {
        if summary.exported / PROGRESS_EVERY > told {
            told = summary.exported / PROGRESS_EVERY;
            tracing::info!(exported = summary.exported, "operator export in progress");
        }
    });
    let uploading = upload_parts(client, (&bucket, &key, &upload_id), reader);
    let (exported, parts) = tokio::join!(exporting, uploading);
    let finished = match (exported, parts) {
        (Ok(summary), Ok(parts)) => Ok((summary, parts)),
        (Err(e), _) => Err(crate::domain::error::chain(&e).into()),
        (_, Err(e)) => Err(e),
    };
    let (summary, parts) = match finished {
        Ok(done) => done,
        Err(e) => {
            // Best effort: without it, the bucket's lifecycle rule removes the parts.
            let _ = client.abort_multipart_upload().bucket(&bucket).key(&key).upload_id(&upload_id).send().await;
            return Err(e);
        }
    };
    let parts = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
    client
        .complete_multipart_upload()
        .bucket(&bucket)
        .key(&key)
        .upload_id(&upload_id)
        .multipart_upload(parts)
        .send()
        .await
        .map_err(|e| failed(&format!("could not finish s3://{bucket}/{key}"), e))?;
    let mut answer = serde_json::to_value(summary)?;
    answer["target"] = format!("s3://{bucket}/{key}").into();
    Ok(answer)
}

/// Uploads what `reader` yields, a part at a time, until its end; the parts to complete with.
/// `reader` is dropped on a failure, so the export writing into it stops too.
async fn upload_parts(
    client: &Client,
    (bucket, key, upload_id): (&str, &str, &str),
    mut reader: tokio::io::DuplexStream,
) -> Result<Vec<CompletedPart>, BoxError> {
    let mut parts = Vec::new();
    loop {
        let mut part = Vec::with_capacity(PART_BYTES);
        let read = (&mut reader).take(PART_BYTES as u64).read_to_end(&mut part).await?;
        if read == 0 && !parts.is_empty() {
            return Ok(parts);
        }
        let number = i32::try_from(parts.len() + 1)?;
        let sent = client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(part))
            .send()
            .await
            .map_err(|e| failed(&format!("could not write part {number} of s3://{bucket}/{key}"), e))?;
        parts.push(CompletedPart::builder().part_number(number).set_e_tag(sent.e_tag).build());
        if read < PART_BYTES {
            return Ok(parts);
        }
    }
}
