//! The `admin` function's import and export through S3 (moto): the file read from the
//! transfer bucket as a stream, the export written to it as a multipart upload, both refused
//! for any other bucket; the same reports and lines as the local server's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, moto_endpoint, on_both_stores};
use serde_json::{Value, json};
use shared::api::admin_transfer::{PART_BYTES, invoke};

use crate::imported::{PBKDF2, SCRYPT};

pub fn s3() -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto_endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A new bucket of its own on moto.
pub async fn bucket(s3: &aws_sdk_s3::Client) -> String {
    let name = format!("transfer-{}", shared::crypto::random_numeric_id().unwrap());
    s3.create_bucket().bucket(&name).send().await.unwrap();
    name
}

pub async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    s3.put_object().bucket(bucket).key(key).body(body.into()).send().await.unwrap();
}

pub async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let object = s3.get_object().bucket(bucket).key(key).send().await.unwrap();
    object.body.collect().await.unwrap().into_bytes().to_vec()
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect()
}

async fn the_admin_function_imports_from_and_exports_to_the_transfer_bucket(b: Backend) {
    let t = TestApp::new(b).await;
    let s3 = s3();
    let bucket = bucket(&s3).await;
    let file = [
        json!({"email": "pbkdf2@example.com", "password_hash": PBKDF2, "email_verified": true}).to_string(),
        json!({"email": "scrypt@example.com", "password_hash": SCRYPT}).to_string(),
        json!({"email": "firebase@example.com", "firebase_password_hash": {"algorithm": "firebase-scrypt",
               "hash": "uV9IYV0ybu+wwKfXzW1cSLwnRSABuaAGYRLSOS2yL9oI/C0GAZHSwZp4znvG7K1WFOssvDW5Bmg01hwZyn9xgg==",
               "salt": "ZmJzYWx0MDEyMw=="}})
        .to_string(),
        "not json, secret-content".to_owned(),
    ]
    .map(|l| l + "\n")
    .concat();
    put(&s3, &bucket, "in/users.jsonl", file.into_bytes()).await;
    let source = format!("s3://{bucket}/in/users.jsonl");
    let firebase = |mut event: Value| {
        event["base64_signer_key"] =
            "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==".into();
        event["base64_salt_separator"] = "Bw==".into();
        event["rounds"] = 8.into();
        event["mem_cost"] = 14.into();
        event
    };
    // Only the transfer bucket, only s3:// URLs, only an object that exists.
    for (event, bucket_allowed, refusal) in [
        (json!({"action": "import", "source": "s3://elsewhere/in/users.jsonl"}), bucket.as_str(), "transfer bucket"),
        (json!({"action": "import", "source": source}), "", "no transfer bucket"),
        (json!({"action": "import", "source": "/tmp/users.jsonl"}), bucket.as_str(), "s3://bucket/key"),
        (json!({"action": "import", "source": format!("s3://{bucket}/nothing")}), bucket.as_str(), "could not read"),
        (json!({"action": "export", "target": "s3://elsewhere/out.jsonl"}), bucket.as_str(), "transfer bucket"),
        (json!({"action": "import", "source": source, "rounds": 8}), bucket.as_str(), "come together"),
    ] {
        let e = invoke(&t.app, &s3, bucket_allowed, &event).await.unwrap_err().to_string();
        assert!(e.contains(refusal), "{event}: {e}");
    }
    let dry = invoke(&t.app, &s3, &bucket, &firebase(json!({"action": "import", "source": source, "dry_run": true})))
        .await
        .unwrap();
    assert_eq!((dry["imported"].as_u64(), dry["refused"].as_u64()), (Some(3), Some(1)), "{dry}");
    assert!(t.app.store.get_user("pbkdf2@example.com").await.unwrap().is_none(), "a dry run writes nothing");
    let report = invoke(&t.app, &s3, &bucket, &firebase(json!({"action": "import", "source": source}))).await.unwrap();
    assert_eq!(
        report,
        json!({"imported": 3, "skipped": 0, "refused": 1,
               "lines": [{"line": 4, "outcome": "refused", "reason": "not a JSON object on one line"}]})
    );
    for email in ["pbkdf2@example.com", "scrypt@example.com", "firebase@example.com"] {
        assert_eq!(t.login(email, PASSWORD).await.status, 200, "{email}");
    }
    let again = invoke(&t.app, &s3, &bucket, &firebase(json!({"action": "import", "source": source}))).await.unwrap();
    assert_eq!((again["imported"].as_u64(), again["skipped"].as_u64()), (Some(0), Some(3)), "idempotent");

    let target = format!("s3://{bucket}/out/all.jsonl");
    let answer = invoke(&t.app, &s3, &bucket, &json!({"action": "export", "target": target})).await.unwrap();
    assert_eq!(answer, json!({"exported": 3, "include_secrets": false, "totp_secrets": 0, "target": target}));
    let exported = lines(&get(&s3, &bucket, "out/all.jsonl").await);
    assert_eq!(exported.len(), 3);
    for line in &exported {
        // Each logged in once: every hash upgraded.
        assert!(line["password_hash"].as_str().unwrap().starts_with("$argon2id$"), "{line}");
    }
    let bad = json!({"action": "export", "target": target, "include_secrets": "yes"});
    assert!(invoke(&t.app, &s3, &bucket, &bad).await.is_err());
}

/// An export bigger than a part goes up in several, and comes down whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_bigger_than_a_part_is_uploaded_in_parts() {
    let t = TestApp::new(Backend::Memory).await;
    let s3 = s3();
    let bucket = bucket(&s3).await;
    let name = "n".repeat(200);
    let line = |i: usize| json!({"email": format!("user{i}@example.com"), "name": name, "password_hash": PBKDF2});
    let per_line = line(0).to_string().len() + 1;
    let n = PART_BYTES / per_line + 100;
    let file: String = (0..n).map(|i| format!("{}\n", line(i))).collect();
    put(&s3, &bucket, "in/many.jsonl", file.into_bytes()).await;
    let source = json!({"action": "import", "source": format!("s3://{bucket}/in/many.jsonl")});
    assert_eq!(invoke(&t.app, &s3, &bucket, &source).await.unwrap()["imported"].as_u64(), Some(n as u64));
    let event = json!({"action": "export", "target": format!("s3://{bucket}/out/many.jsonl")});
    assert_eq!(invoke(&t.app, &s3, &bucket, &event).await.unwrap()["exported"].as_u64(), Some(n as u64));
    // A multipart object's ETag ends with its count of parts.
    let head = s3.head_object().bucket(&bucket).key("out/many.jsonl").send().await.unwrap();
    let etag = head.e_tag().unwrap_or_default().trim_matches('"').to_owned();
    let parts: u32 = etag.rsplit_once('-').and_then(|(_, n)| n.parse().ok()).unwrap_or_default();
    assert!(parts >= 2, "{etag}");
    let exported = lines(&get(&s3, &bucket, "out/many.jsonl").await);
    assert_eq!(exported.len(), n);
}

on_both_stores!(the_admin_function_imports_from_and_exports_to_the_transfer_bucket);
