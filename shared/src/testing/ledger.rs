//! What each function used, for the IAM test (`tests/api/iam.rs`): the harness runs each
//! request inside [`FUNCTION`], and the store probe, the senders' probe and the key set note
//! under it what they did; [`DynamoCallLog`] records what the DynamoDB SDK really sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::domain::error::BoxError;
use crate::email::EmailSender;
use crate::model::PushPlatform;
use crate::push::PushSender;
use crate::sms::SmsSender;

tokio::task_local! {
    /// The function a test request is routed to, set by the test harness around each call, so
    /// that the store, senders and keys can say which function used them.
    pub static FUNCTION: &'static str;
    /// The store port method in progress, set by [`ProbeStore`] around each call it passes on,
    /// so that [`DynamoCallLog`] can say which method sent which DynamoDB request.
    pub(crate) static PORT_METHOD: &'static str;
}

/// The function of the request in progress, if the harness named one.
pub fn current_function() -> Option<&'static str> {
    FUNCTION.try_with(|f| *f).ok()
}

/// What each function used: store methods, sends, or key purposes, by name.
pub type Ledger = BTreeMap<&'static str, std::collections::BTreeSet<&'static str>>;

pub(crate) fn note(ledger: &Mutex<Ledger>, what: &'static str) {
    if let (Some(function), Ok(mut l)) = (current_function(), ledger.lock()) {
        l.entry(function).or_default().insert(what);
    }
}

/// Wraps the three senders and notes which sends each function made (`sms.send`,
/// `push.register`, `push.unregister`, `push.send`, `email.send`), whether they succeed or not.
pub struct ProbeSenders {
    pub sms: Arc<dyn SmsSender>,
    pub push: Arc<dyn PushSender>,
    pub email: Arc<dyn EmailSender>,
    used: Mutex<Ledger>,
}

impl ProbeSenders {
    pub fn new(sms: Arc<dyn SmsSender>, push: Arc<dyn PushSender>, email: Arc<dyn EmailSender>) -> Self {
        ProbeSenders { sms, push, email, used: Mutex::new(Ledger::new()) }
    }

    /// The sends each function made (requests made inside [`FUNCTION`]).
    pub fn used_by_function(&self) -> Ledger {
        self.used.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl SmsSender for ProbeSenders {
    async fn send(&self, to: &str, body: &str) -> Result<(), BoxError> {
        note(&self.used, "sms.send");
        self.sms.send(to, body).await
    }
}

#[async_trait]
impl PushSender for ProbeSenders {
    async fn register(&self, platform: PushPlatform, token: &str) -> Result<String, BoxError> {
        note(&self.used, "push.register");
        self.push.register(platform, token).await
    }
    async fn unregister(&self, endpoint: &str) -> Result<(), BoxError> {
        note(&self.used, "push.unregister");
        self.push.unregister(endpoint).await
    }
    async fn send(&self, endpoint: &str, payload: &serde_json::Value) -> Result<(), BoxError> {
        note(&self.used, "push.send");
        self.push.send(endpoint, payload).await
    }
}

#[async_trait]
impl EmailSender for ProbeSenders {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), BoxError> {
        note(&self.used, "email.send");
        self.email.send(to, subject, body).await
    }
}

static TRANSFERS: Mutex<Ledger> = Mutex::new(BTreeMap::new());

/// Notes an S3 transfer of the operator's import or export (`s3.get`, `s3.put`) by the
/// function in progress ([`crate::api::admin_transfer`]).
pub fn note_transfer(what: &'static str) {
    note(&TRANSFERS, what);
}

/// The S3 transfers each function made (requests made inside [`FUNCTION`]).
pub fn transfers_by_function() -> Ledger {
    TRANSFERS.lock().map(|l| l.clone()).unwrap_or_default()
}

/// Records, per store port method, the IAM actions of the requests the DynamoDB SDK really
/// sends (a transaction counts as the actions of its items, as IAM authorises it): registered
/// on the test client, it proves [`crate::store::dynamo::permissions`] against DynamoDB Local.
/// One log for the whole test process: every test on DynamoDB Local adds what it saw.
#[derive(Debug, Clone, Copy, Default)]
pub struct DynamoCallLog;

static DYNAMO_CALLS: Mutex<Ledger> = Mutex::new(BTreeMap::new());

impl DynamoCallLog {
    /// Every port method seen so far, with the actions its requests needed.
    pub fn seen() -> Ledger {
        DYNAMO_CALLS.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The IAM actions one request needs, from its input.
    fn actions(
        context: &aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
    ) -> Vec<&'static str> {
        use aws_sdk_dynamodb::operation as op;
        let input = context.input();
        if let Some(tx) = input.downcast_ref::<op::transact_write_items::TransactWriteItemsInput>() {
            return tx
                .transact_items()
                .iter()
                .map(|item| match (item.put(), item.update(), item.delete()) {
                    (Some(_), _, _) => "dynamodb:PutItem",
                    (_, Some(_), _) => "dynamodb:UpdateItem",
                    (_, _, Some(_)) => "dynamodb:DeleteItem",
                    _ => "dynamodb:ConditionCheckItem",
                })
                .collect();
        }
        let single = if input.downcast_ref::<op::get_item::GetItemInput>().is_some() {
            "dynamodb:GetItem"
        } else if input.downcast_ref::<op::put_item::PutItemInput>().is_some() {
            "dynamodb:PutItem"
        } else if input.downcast_ref::<op::update_item::UpdateItemInput>().is_some() {
            "dynamodb:UpdateItem"
        } else if input.downcast_ref::<op::delete_item::DeleteItemInput>().is_some() {
            "dynamodb:DeleteItem"
        } else if input.downcast_ref::<op::query::QueryInput>().is_some() {
            "dynamodb:Query"
        } else if input.downcast_ref::<op::scan::ScanInput>().is_some() {
            "dynamodb:Scan"
        } else {
            "dynamodb:(another operation)"
        };
        vec![single]
    }
}

impl aws_sdk_dynamodb::config::Intercept for DynamoCallLog {
    fn name(&self) -> &'static str {
        "DynamoCallLog"
    }

    fn read_before_execution(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        // Outside a port method: start-up (`warm_up`) or the tests' own table set-up.
        let method = PORT_METHOD.try_with(|m| *m).unwrap_or("(outside the ports)");
        if let Ok(mut log) = DYNAMO_CALLS.lock() {
            log.entry(method).or_default().extend(Self::actions(context));
        }
        Ok(())
    }
}
