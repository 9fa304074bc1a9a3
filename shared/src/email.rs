//! E-mail for one-time codes. `SesEmail` sends through Amazon SES (v2 API); `SandboxEmail`
//! records instead. Bodies hold codes, so they are never logged.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::error::BoxError;

#[async_trait]
pub trait EmailSender: Send + Sync {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), BoxError>;
}

pub struct SesEmail {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesEmail {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        SesEmail { client, from: from.into() }
    }
}

#[async_trait]
impl EmailSender for SesEmail {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), BoxError> {
        use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
        let message = Message::builder()
            .subject(Content::builder().data(subject).charset("UTF-8").build()?)
            .body(Body::builder().text(Content::builder().data(body).charset("UTF-8").build()?).build())
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await?;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEmail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Default)]
pub struct SandboxEmail {
    sent: Mutex<Vec<RecordedEmail>>,
}

impl SandboxEmail {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn sent(&self) -> Vec<RecordedEmail> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl EmailSender for SandboxEmail {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), BoxError> {
        tracing::info!("sandbox: e-mail recorded, not sent");
        self.sent.lock().map_err(|_| "sandbox e-mail log poisoned")?.push(RecordedEmail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            body: body.to_owned(),
        });
        Ok(())
    }
}
