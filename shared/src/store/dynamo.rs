//! The DynamoDB adapter: one table, string keys `PK`/`SK`, TTL on `expiresAt` (epoch seconds).
//! Every write that depends on what was read is conditional, and every change that spans two
//! items is one `TransactWriteItems`. Expiry is still checked in the conditions and in code:
//! TTL deletion runs late.
//!
//! | item            | PK                 | SK                    |
//! |-----------------|--------------------|-----------------------|
//! | account         | `ACCOUNT#<email>`  | `PROFILE`             |
//! | failed attempts | `ACCOUNT#<email>`  | `LOCKOUT`             |
//! | session         | `USER#<userId>`    | `SESSION#<sessionId>` |
//! | one-time code   | `USER#<userId>`    | `CODE#<purpose>`      |
//! | push in flight  | `USER#<userId>`    | `PUSHLOCK#<sessionId>`|
//! | push challenge  | `PUSH#<id>`        | `PUSH`                |
//! | rate counter    | `RATE#<key>`       | `<window end>`        |
//! | refresh token   | `USER#<userId>`    | `REFRESH#<sha256>`    |

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, KeySchemaElement, KeyType, Put, ReturnValue,
    ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_item};

use super::{Store, StoreError, StoreResult, StoredLockout};
use crate::clock::Epoch;
use crate::error::BoxError;
use crate::model::{
    CodeChallenge, Grant, Lockout, PushChallenge, PushStatus, RefreshToken, Session, SessionStatus, User,
};

type Item = HashMap<String, AttributeValue>;

pub const TTL_ATTRIBUTE: &str = "expiresAt";

pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// One idempotency token per logical transaction, set on the request so that the SDK's own
/// retries of it carry the same token (DynamoDB then applies it at most once), while two
/// different transactions can never be mistaken for one another.
fn request_token() -> StoreResult<String> {
    crate::crypto::random_token_id().map_err(|e| StoreError::Other(e.into()))
}

fn account_pk(email: &str) -> String {
    format!("ACCOUNT#{email}")
}

fn session_key(session_id: &str) -> StoreResult<Item> {
    let user_id = Session::user_id_of(session_id).ok_or(StoreError::Conflict)?;
    Ok(HashMap::from([
        ("PK".to_owned(), s(format!("USER#{user_id}"))),
        ("SK".to_owned(), s(format!("SESSION#{session_id}"))),
    ]))
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

fn encode<T: Serialize>(value: &T, pk: String, sk: &str, expires_at: Option<Epoch>) -> StoreResult<Item> {
    let mut item: Item = to_item(value).map_err(|e| StoreError::Other(e.into()))?;
    item.insert("PK".into(), s(pk));
    item.insert("SK".into(), s(sk));
    if let Some(at) = expires_at {
        item.insert(TTL_ATTRIBUTE.into(), n(at));
    }
    Ok(item)
}

fn decode<T: DeserializeOwned>(mut item: Item) -> StoreResult<T> {
    item.remove("PK");
    item.remove("SK");
    from_item(item).map_err(|e| StoreError::Other(e.into()))
}

/// Sorts an SDK failure into the three outcomes handlers act on.
fn classify<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match &e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            match err.code() {
                Some("ConditionalCheckFailedException") => StoreError::Conflict,
                // Cancelled for a failed condition is a conflict; for a concurrent transaction
                // on the same item (TransactionConflict) or throttling it is worth a retry.
                Some("TransactionCanceledException")
                    if err.message().unwrap_or("").contains("ConditionalCheckFailed") =>
                {
                    StoreError::Conflict
                }
                Some(
                    "TransactionCanceledException"
                    | "TransactionConflictException"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
                    | "ThrottlingException"
                    | "InternalServerError"
                    | "ServiceUnavailable",
                ) => StoreError::Unavailable(Box::new(e)),
                _ => StoreError::Other(Box::new(e)),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(Box::new(e))
        }
        _ => StoreError::Other(Box::new(e)),
    }
}

/// A `LOCKOUT` item as the counter and the version its next write must match. Items written
/// before versions existed read as version 0.
fn decode_lockout(item: Item) -> StoreResult<StoredLockout> {
    let version = item.get("version").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(StoredLockout { state: decode(item)?, version: Some(version) })
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Opens the connection (DNS, TCP, TLS) at cold start, so the first request does not pay
    /// for it. Any answer will do, an access-denied one included.
    pub async fn warm_up(&self) {
        let _ =
            self.client.get_item().table_name(&self.table).set_key(Some(key("WARMUP".into(), "WARMUP"))).send().await;
    }

    /// Creates the table (on-demand, TTL on `expiresAt`) unless it exists: for local runs and
    /// tests. In AWS the SAM template owns the table.
    pub async fn create_table_if_missing(&self) -> Result<(), BoxError> {
        let exists = self.client.describe_table().table_name(&self.table).send().await;
        if exists.is_ok() {
            return Ok(());
        }
        let attr = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("PK")?)
            .attribute_definitions(attr("SK")?)
            .key_schema(KeySchemaElement::builder().attribute_name("PK").key_type(KeyType::Hash).build()?)
            .key_schema(KeySchemaElement::builder().attribute_name("SK").key_type(KeyType::Range).build()?)
            .send()
            .await;
        if let Err(e) = created {
            // Another process may have created it meanwhile.
            if e.as_service_error().and_then(|s| s.code()) != Some("ResourceInUseException") {
                return Err(e.into());
            }
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder().attribute_name(TTL_ATTRIBUTE).enabled(true).build()?,
            )
            .send()
            .await
            .map(|_| ())
            .or_else(|e| {
                // Enabling TTL twice is refused; that is fine.
                if e.as_service_error().and_then(|s| s.message()).unwrap_or("").contains("already enabled") {
                    Ok(())
                } else {
                    Err(e.into())
                }
            })
    }

    /// The conditional put that saves `user` as `user.version + 1`.
    fn put_user(&self, user: &User) -> StoreResult<(Put, User)> {
        let mut next = user.clone();
        next.version += 1;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(&next, account_pk(&user.email), "PROFILE", None)?))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(user.version))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        Ok((put, next))
    }

    /// A consistent read of one item.
    async fn get<T: DeserializeOwned>(&self, key: Item) -> StoreResult<Option<T>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        out.item.map(decode).transpose()
    }

    /// Sets `revoked` on an existing item; a missing one is fine (nothing to revoke).
    async fn mark_revoked(&self, key: Item) -> StoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("SET revoked = :true")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(classify);
        match result {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A login's one atomic write: the new item (a session or a refresh token), the account
    /// saved at its next version, and the failed-login counter cleared.
    async fn write_login(&self, new_item: Item, user: &User) -> StoreResult<User> {
        let (put_user, next) = self.put_user(user)?;
        let put_new = Put::builder()
            .table_name(&self.table)
            .set_item(Some(new_item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let clear_lockout = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(&user.email), "LOCKOUT")))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.client
            .transact_write_items()
            .client_request_token(request_token()?)
            .transact_items(TransactWriteItem::builder().put(put_new).build())
            .transact_items(TransactWriteItem::builder().put(put_user).build())
            .transact_items(TransactWriteItem::builder().delete(clear_lockout).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(next)
    }

    async fn update_live_session(
        &self,
        session_id: &str,
        set: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
        now: Epoch,
    ) -> StoreResult<()> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(session_key(session_id)?))
            .update_expression(set)
            .condition_expression("attribute_exists(PK) AND revoked = :false AND absoluteExpiresAt > :now")
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now));
        for (k, v) in names {
            req = req.expression_attribute_names(*k, *v);
        }
        for (k, v) in values {
            req = req.expression_attribute_values(k, v);
        }
        req.send().await.map_err(classify)?;
        Ok(())
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(user, account_pk(&user.email), "PROFILE", None)?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn get_user(&self, email: &str) -> StoreResult<Option<User>> {
        self.get(key(account_pk(email), "PROFILE")).await
    }

    async fn update_user(&self, user: &User) -> StoreResult<User> {
        let (put, next) = self.put_user(user)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(put.item))
            .set_condition_expression(put.condition_expression)
            .set_expression_attribute_values(put.expression_attribute_values)
            .send()
            .await
            .map_err(classify)?;
        Ok(next)
    }

    async fn load_login(&self, email: &str, _now: Epoch) -> StoreResult<(Option<User>, StoredLockout)> {
        // Both items share the account's partition: one query reads them together.
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(account_pk(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        let mut user = None;
        let mut lockout = StoredLockout::default();
        for item in out.items.unwrap_or_default() {
            match item.get("SK").and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some("PROFILE") => user = Some(decode(item)?),
                Some("LOCKOUT") => lockout = decode_lockout(item)?,
                _ => {}
            }
        }
        Ok((user, lockout))
    }

    async fn load_lockout(&self, email: &str) -> StoreResult<StoredLockout> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(email), "LOCKOUT")))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        out.item.map(decode_lockout).transpose().map(Option::unwrap_or_default)
    }

    async fn save_lockout(&self, email: &str, expected: Option<u64>, next: &Lockout) -> StoreResult<()> {
        let version = expected.unwrap_or(0) + 1;
        let mut item = encode(next, account_pk(email), "LOCKOUT", Some(next.expires_at))?;
        item.insert("version".into(), n(version));
        let req = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let req = match expected {
            None => req.condition_expression("attribute_not_exists(PK)"),
            Some(0) => req.condition_expression("attribute_exists(PK) AND attribute_not_exists(version)"),
            Some(v) => req.condition_expression("version = :v").expression_attribute_values(":v", n(v)),
        };
        req.send().await.map_err(classify)?;
        Ok(())
    }

    async fn clear_lockout(&self, email: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(email), "LOCKOUT")))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn open_session(&self, session: &Session, user: &User) -> StoreResult<User> {
        let mut item = encode(session, String::new(), "", Some(session.absolute_expires_at))?;
        item.extend(session_key(&session.session_id)?);
        self.write_login(item, user).await
    }

    async fn touch_session(
        &self,
        session_id: &str,
        grant: Option<&str>,
        now: Epoch,
        new_idle: Epoch,
    ) -> StoreResult<Option<Session>> {
        let (set, alive) = match grant {
            None => ("SET idleExpiresAt = :idle", "idleExpiresAt > :now"),
            Some(_) => ("SET grants.#g.idleExpiresAt = :idle", "grants.#g.idleExpiresAt > :now"),
        };
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(session_key(session_id)?))
            .update_expression(set)
            .condition_expression(format!(
                "attribute_exists(PK) AND revoked = :false AND absoluteExpiresAt > :now AND {alive}"
            ))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":idle", n(new_idle))
            .return_values(ReturnValue::AllNew);
        if let Some(g) = grant {
            req = req.expression_attribute_names("#g", g);
        }
        match req.send().await.map_err(classify) {
            Ok(out) => {
                let session: Session = decode(out.attributes.unwrap_or_default())?;
                // Belt and braces: the condition already held, and the code agrees.
                Ok(session.is_alive(grant, now).then_some(session))
            }
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn add_grant(
        &self,
        session_id: &str,
        grant_id: &str,
        grant: &Grant,
        expired: &[String],
        now: Epoch,
    ) -> StoreResult<()> {
        let value = AttributeValue::M(to_item(grant).map_err(|e| StoreError::Other(e.into()))?);
        let names: Vec<(String, String)> =
            expired.iter().enumerate().map(|(i, g)| (format!("#x{i}"), g.clone())).collect();
        let mut set = "SET grants.#g = :grant".to_owned();
        if !names.is_empty() {
            let removed: Vec<String> = names.iter().map(|(n, _)| format!("grants.{n}")).collect();
            set.push_str(&format!(" REMOVE {}", removed.join(", ")));
        }
        let mut all_names: Vec<(&str, &str)> = vec![("#g", grant_id)];
        all_names.extend(names.iter().map(|(n, g)| (n.as_str(), g.as_str())));
        self.update_live_session(session_id, &set, &all_names, vec![(":grant", value)], now).await
    }

    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>> {
        self.get(session_key(session_id)?).await
    }

    async fn update_user_spending_step_up(&self, user: &User, session_id: &str, now: Epoch) -> StoreResult<User> {
        let (put_user, next) = self.put_user(user)?;
        let to_value = |status: SessionStatus| {
            serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(status).map_err(|e| StoreError::Other(e.into()))
        };
        let spend = Update::builder()
            .table_name(&self.table)
            .set_key(Some(session_key(session_id)?))
            .update_expression("SET #s = :standard")
            .condition_expression(
                "attribute_exists(PK) AND revoked = :false AND absoluteExpiresAt > :now AND #s = :stepped",
            )
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":standard", to_value(SessionStatus::Standard)?)
            .expression_attribute_values(":stepped", to_value(SessionStatus::SteppedUp)?)
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.client
            .transact_write_items()
            .client_request_token(request_token()?)
            .transact_items(TransactWriteItem::builder().put(put_user).build())
            .transact_items(TransactWriteItem::builder().update(spend).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(next)
    }

    async fn set_session_status(&self, session_id: &str, status: SessionStatus, now: Epoch) -> StoreResult<()> {
        let value =
            serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(status).map_err(|e| StoreError::Other(e.into()))?;
        self.update_live_session(session_id, "SET #s = :s", &[("#s", "status")], vec![(":s", value)], now).await
    }

    async fn end_session(&self, session_id: &str, now: Epoch) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(session_key(session_id)?))
            .update_expression("SET revoked = :true")
            .condition_expression("attribute_exists(PK) AND revoked = :false AND absoluteExpiresAt > :now")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .send()
            .await
            .map_err(classify);
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn revoke_session(&self, session_id: &str) -> StoreResult<()> {
        self.mark_revoked(session_key(session_id)?).await
    }

    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let mut sessions = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .filter_expression("revoked = :false")
                .expression_attribute_values(":pk", s(format!("USER#{user_id}")))
                .expression_attribute_values(":prefix", s("SESSION#"))
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for item in out.items.unwrap_or_default() {
                sessions.push(decode(item)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(sessions),
            }
        }
    }

    async fn put_code(&self, challenge: &CodeChallenge, cooldown_secs: i64, now: Epoch) -> StoreResult<()> {
        let sk = format!("CODE#{}", challenge.purpose);
        let item = encode(challenge, format!("USER#{}", challenge.user_id), &sk, Some(challenge.expires_at))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR createdAt <= :cutoff")
            .expression_attribute_values(":cutoff", n(now - cooldown_secs))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn spend_code_try(
        &self,
        user_id: &str,
        purpose: &str,
        now: Epoch,
        max_attempts: u32,
    ) -> StoreResult<Option<CodeChallenge>> {
        // The condition is `domain::codes::spendable`, evaluated by DynamoDB inside the write, so
        // concurrent checks are handed tries one at a time and never more than `max_attempts`.
        let spent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("USER#{user_id}"), &format!("CODE#{purpose}"))))
            .update_expression("SET attempts = attempts + :one")
            .condition_expression("attribute_exists(PK) AND attempts < :max AND expiresAt > :now")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max_attempts))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(classify);
        match spent {
            Ok(out) => Ok(Some(decode(out.attributes.unwrap_or_default())?)),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn consume_code(&self, user_id: &str, purpose: &str, code_hash: &str) -> StoreResult<bool> {
        let consumed = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("USER#{user_id}"), &format!("CODE#{purpose}"))))
            .condition_expression("codeHash = :h")
            .expression_attribute_values(":h", s(code_hash))
            .send()
            .await
            .map_err(classify);
        match consumed {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn get_code(&self, user_id: &str, purpose: &str) -> StoreResult<Option<CodeChallenge>> {
        self.get(key(format!("USER#{user_id}"), &format!("CODE#{purpose}"))).await
    }

    async fn delete_code(&self, user_id: &str, purpose: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("USER#{user_id}"), &format!("CODE#{purpose}"))))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn create_push_challenge(&self, challenge: &PushChallenge, now: Epoch) -> StoreResult<()> {
        let marker = HashMap::from([
            ("PK".to_owned(), s(format!("USER#{}", challenge.user_id))),
            ("SK".to_owned(), s(format!("PUSHLOCK#{}", challenge.session_id))),
            ("challengeId".to_owned(), s(&challenge.id)),
            (TTL_ATTRIBUTE.to_owned(), n(challenge.expires_at)),
        ]);
        let put_marker = Put::builder()
            .table_name(&self.table)
            .set_item(Some(marker))
            .condition_expression("attribute_not_exists(PK) OR expiresAt <= :now")
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let put_challenge = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(
                challenge,
                format!("PUSH#{}", challenge.id),
                "PUSH",
                Some(challenge.expires_at + 86_400),
            )?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.client
            .transact_write_items()
            .client_request_token(request_token()?)
            .transact_items(TransactWriteItem::builder().put(put_marker).build())
            .transact_items(TransactWriteItem::builder().put(put_challenge).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn get_push_challenge(&self, id: &str) -> StoreResult<Option<PushChallenge>> {
        self.get(key(format!("PUSH#{id}"), "PUSH")).await
    }

    async fn answer_push_challenge(
        &self,
        challenge: &PushChallenge,
        status: PushStatus,
        now: Epoch,
    ) -> StoreResult<()> {
        let status_value =
            serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(status).map_err(|e| StoreError::Other(e.into()))?;
        let pending = serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(PushStatus::Pending)
            .map_err(|e| StoreError::Other(e.into()))?;
        let settle = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("PUSH#{}", challenge.id), "PUSH")))
            .update_expression("SET #s = :s")
            .condition_expression("#s = :pending AND answerBy > :now")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":s", status_value)
            .expression_attribute_values(":pending", pending)
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let release = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("USER#{}", challenge.user_id), &format!("PUSHLOCK#{}", challenge.session_id))))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let mut tx = self
            .client
            .transact_write_items()
            .client_request_token(request_token()?)
            .transact_items(TransactWriteItem::builder().update(settle).build())
            .transact_items(TransactWriteItem::builder().delete(release).build());
        if status == PushStatus::Approved {
            let stepped_up = serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(SessionStatus::SteppedUp)
                .map_err(|e| StoreError::Other(e.into()))?;
            let step_up = Update::builder()
                .table_name(&self.table)
                .set_key(Some(session_key(&challenge.session_id)?))
                .update_expression("SET #s = :s")
                .condition_expression("attribute_exists(PK) AND revoked = :false AND absoluteExpiresAt > :now")
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":s", stepped_up)
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .expression_attribute_values(":now", n(now))
                .build()
                .map_err(|e| StoreError::Other(e.into()))?;
            tx = tx.transact_items(TransactWriteItem::builder().update(step_up).build());
        }
        tx.send().await.map_err(classify)?;
        Ok(())
    }

    async fn cancel_push_challenge(&self, challenge: &PushChallenge) -> StoreResult<()> {
        let delete_challenge = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("PUSH#{}", challenge.id), "PUSH")))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let release = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("USER#{}", challenge.user_id), &format!("PUSHLOCK#{}", challenge.session_id))))
            .condition_expression("challengeId = :id")
            .expression_attribute_values(":id", s(&challenge.id))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.client
            .transact_write_items()
            .client_request_token(request_token()?)
            .transact_items(TransactWriteItem::builder().delete(delete_challenge).build())
            .transact_items(TransactWriteItem::builder().delete(release).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn hit_rate_counter(&self, key_name: &str, window_end: Epoch) -> StoreResult<u64> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("RATE#{key_name}"), &window_end.to_string())))
            .update_expression("ADD hits :one SET expiresAt = :end")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":end", n(window_end))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(classify)?;
        out.attributes
            .and_then(|a| a.get("hits").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()))
            .ok_or_else(|| StoreError::Other("rate counter without hits".into()))
    }

    async fn get_rate_counter(&self, key_name: &str, window_end: Epoch) -> StoreResult<u64> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("RATE#{key_name}"), &window_end.to_string())))
            .send()
            .await
            .map_err(classify)?;
        Ok(out.item.and_then(|a| a.get("hits").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())).unwrap_or(0))
    }

    async fn release_rate_counter(&self, key_name: &str, window_end: Epoch) -> StoreResult<()> {
        let released = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("RATE#{key_name}"), &window_end.to_string())))
            .update_expression("ADD hits :minus")
            .condition_expression("hits > :zero")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(classify);
        match released {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn open_refresh(&self, token: &RefreshToken, user: &User) -> StoreResult<User> {
        let pk = format!("USER#{}", token.user_id);
        let item = encode(token, pk, &format!("REFRESH#{}", token.token_hash), Some(token.expires_at))?;
        self.write_login(item, user).await
    }

    async fn get_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        self.get(key(format!("USER#{user_id}"), &format!("REFRESH#{token_hash}"))).await
    }

    async fn revoke_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<()> {
        self.mark_revoked(key(format!("USER#{user_id}"), &format!("REFRESH#{token_hash}"))).await
    }
}
