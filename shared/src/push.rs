//! Push notifications to enrolled devices. `SnsPush` registers devices as SNS platform
//! endpoints (APNS or GCM platform applications) and publishes to them; `SandboxPush` records.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::error::BoxError;
use crate::model::PushPlatform;

#[async_trait]
pub trait PushSender: Send + Sync {
    /// Registers a device token; returns the endpoint to publish to.
    async fn register(&self, platform: PushPlatform, device_token: &str) -> Result<String, BoxError>;
    async fn unregister(&self, endpoint: &str) -> Result<(), BoxError>;
    async fn send(&self, endpoint: &str, payload: &serde_json::Value) -> Result<(), BoxError>;
}

pub struct SnsPush {
    client: aws_sdk_sns::Client,
    apns_application: Option<String>,
    gcm_application: Option<String>,
}

impl SnsPush {
    pub fn new(client: aws_sdk_sns::Client, apns_application: Option<String>, gcm_application: Option<String>) -> Self {
        SnsPush { client, apns_application, gcm_application }
    }
}

#[async_trait]
impl PushSender for SnsPush {
    async fn register(&self, platform: PushPlatform, device_token: &str) -> Result<String, BoxError> {
        let application = match platform {
            PushPlatform::Apns => &self.apns_application,
            PushPlatform::Gcm => &self.gcm_application,
        }
        .as_ref()
        .ok_or("no SNS platform application is configured for this platform")?;
        let out = self
            .client
            .create_platform_endpoint()
            .platform_application_arn(application)
            .token(device_token)
            .send()
            .await?;
        Ok(out.endpoint_arn.ok_or("SNS returned no endpoint ARN")?)
    }

    async fn unregister(&self, endpoint: &str) -> Result<(), BoxError> {
        self.client.delete_endpoint().endpoint_arn(endpoint).send().await?;
        Ok(())
    }

    async fn send(&self, endpoint: &str, payload: &serde_json::Value) -> Result<(), BoxError> {
        let data = payload.to_string();
        let apns =
            serde_json::json!({ "aps": { "alert": "Approve your sign-in", "content-available": 1 }, "data": payload });
        let gcm = serde_json::json!({ "data": payload });
        let message = serde_json::json!({
            "default": data,
            "APNS": apns.to_string(),
            "APNS_SANDBOX": apns.to_string(),
            "GCM": gcm.to_string(),
        });
        self.client
            .publish()
            .target_arn(endpoint)
            .message_structure("json")
            .message(message.to_string())
            .send()
            .await?;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordedPush {
    pub endpoint: String,
    pub payload: serde_json::Value,
}

/// Records pushes instead of sending them.
#[derive(Default)]
pub struct SandboxPush {
    sent: Mutex<Vec<RecordedPush>>,
}

impl SandboxPush {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn sent(&self) -> Vec<RecordedPush> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl PushSender for SandboxPush {
    async fn register(&self, platform: PushPlatform, device_token: &str) -> Result<String, BoxError> {
        let platform = match platform {
            PushPlatform::Apns => "APNS",
            PushPlatform::Gcm => "GCM",
        };
        Ok(format!("sandbox:{platform}:{}", crate::crypto::sha256_b64url(device_token.as_bytes())))
    }

    async fn unregister(&self, _endpoint: &str) -> Result<(), BoxError> {
        Ok(())
    }

    async fn send(&self, endpoint: &str, payload: &serde_json::Value) -> Result<(), BoxError> {
        tracing::info!("sandbox: push recorded, not sent");
        self.sent
            .lock()
            .map_err(|_| "sandbox push log poisoned")?
            .push(RecordedPush { endpoint: endpoint.to_owned(), payload: payload.clone() });
        Ok(())
    }
}
