//! Text messages. `SnsSms` publishes through Amazon SNS; `SandboxSms` records messages instead
//! of sending them (sandbox mode, where every code is `123456`). Message bodies hold one-time
//! codes, so they are never logged.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::error::BoxError;

#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `body` to an E.164 number.
    async fn send(&self, to_e164: &str, body: &str) -> Result<(), BoxError>;
}

pub struct SnsSms {
    client: aws_sdk_sns::Client,
}

impl SnsSms {
    pub fn new(client: aws_sdk_sns::Client) -> Self {
        SnsSms { client }
    }
}

#[async_trait]
impl SmsSender for SnsSms {
    async fn send(&self, to_e164: &str, body: &str) -> Result<(), BoxError> {
        let transactional = aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value("Transactional")
            .build()?;
        self.client
            .publish()
            .phone_number(to_e164)
            .message(body)
            .message_attributes("AWS.SNS.SMS.SMSType", transactional)
            .send()
            .await?;
        Ok(())
    }
}

/// A sent message, as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedSms {
    pub to: String,
    pub body: String,
}

#[derive(Default)]
pub struct SandboxSms {
    sent: Mutex<Vec<RecordedSms>>,
}

impl SandboxSms {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn sent(&self) -> Vec<RecordedSms> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl SmsSender for SandboxSms {
    async fn send(&self, to_e164: &str, body: &str) -> Result<(), BoxError> {
        tracing::info!("sandbox: SMS recorded, not sent");
        self.sent
            .lock()
            .map_err(|_| "sandbox SMS log poisoned")?
            .push(RecordedSms { to: to_e164.to_owned(), body: body.to_owned() });
        Ok(())
    }
}
