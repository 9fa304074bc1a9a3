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
//! | push reference  | `USER#<userId>`    | `PUSHREF#<challengeId>`|
//! | push challenge  | `PUSH#<id>`        | `PUSH`                |
//! | rate counter    | `RATE#<key>`       | `<window end>`        |
//! | cooldown claim  | `COOLDOWN#<key>`   | `COOLDOWN`            |
//! | refresh family  | `USER#<userId>`    | `REFRESH#<familyId>`  |
//! | security event  | `USER#<userId>`    | `EVENT#<at>#<id>`     |
//! | WebAuthn ceremony | `CEREMONY#<id>`  | `CEREMONY`            |
//! | passkey owner   | `PASSKEY#HANDLE#<uuid>`, `PASSKEY#CREDENTIAL#<id>` | `OWNER` |
//! | moved away (reserved for its revert) | `ACCOUNT#<email>` | `MOVED` |
//! | known device    | `USER#<userId>`    | `DEVICE#<key>`        |
//! | OpenID Connect client | `OIDC#CLIENTS` | `CLIENT#<clientId>` |
//!
//! A deleted account (`app::erasure`) is first marked (`deleted` on its `PROFILE`),
//! then its items are erased (`erasure.rs`), the `PROFILE` last.

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

use super::prelude::*;
use super::{FailedLogins, StoreError, StoreResult, StoredLockout};
use crate::clock::Epoch;
use crate::domain::error::BoxError;
use crate::domain::events::SecurityEvent;
use crate::model::{
    Ceremony, CeremonyKind, CodeChallenge, Grant, Lockout, PushChallenge, PushStatus, RefreshFamily, Session,
    SessionStatus, User,
};

type Item = HashMap<String, AttributeValue>;

/// The partition (and sort) key of the warm-up read: no item ever has it.
pub const WARM_UP_KEY: &str = "WARMUP";

const GET: &str = "dynamodb:GetItem";
const PUT: &str = "dynamodb:PutItem";
const UPDATE: &str = "dynamodb:UpdateItem";
const DELETE: &str = "dynamodb:DeleteItem";
const QUERY: &str = "dynamodb:Query";
const CONDITION_CHECK: &str = "dynamodb:ConditionCheckItem";
const SCAN: &str = "dynamodb:Scan";

/// The IAM actions, all on the table, that each port method of this adapter performs; `None`
/// for a name that is no method (start-up's [`DynamoStore::warm_up`] is
/// [`crate::iam::STORE_WARM_UP`]). IAM authorises a
/// `TransactWriteItems` by each item's own action (`PutItem`, `UpdateItem`, `DeleteItem`), so
/// a transaction lists those. Kept true by `tests/api/iam.rs`, which records what the SDK
/// really sends for each method on DynamoDB Local.
pub fn permissions(method: &str) -> Option<&'static [&'static str]> {
    Some(match method {
        "get_user" | "load_lockout" | "get_session" | "get_code" | "get_push_challenge" | "get_rate_counter"
        | "get_refresh" | "passkey_owner" | "get_client" => &[GET],
        "update_user"
        | "record_events"
        | "save_lockout"
        | "put_code"
        | "claim_cooldown"
        | "create_push_challenge"
        | "put_ceremony"
        | "put_client" => &[PUT],
        // A claim that finds the name held reads whose it is.
        "claim_passkey_name" => &[PUT, GET],
        "touch_session"
        | "add_grant"
        | "spend_code_try"
        | "hit_rate_counter"
        | "release_rate_counter"
        | "rotate_refresh"
        | "retry_refresh"
        | "claim_push_login" => &[UPDATE],
        "clear_lockout"
        | "consume_code"
        | "delete_code"
        | "cancel_push_challenge"
        | "release_cooldown"
        | "take_ceremony"
        | "release_passkey_name"
        | "remove_client" => &[DELETE],
        "load_login" | "list_sessions" | "list_refresh" | "list_events" | "list_clients" => &[QUERY],
        "get_account_record" => &[GET],
        "list_login_ids" => &[QUERY],
        // Each erasure step: a query of the partition, then a delete per item.
        "erase_user_items" | "erase_counters" => &[QUERY, DELETE],
        "erase_account" => &[DELETE],
        // The change, with its events' puts in the same transaction (an update alone if none).
        "end_session" | "revoke_session" | "revoke_refresh" | "set_session_status" => &[UPDATE, PUT],
        // Account and a session's step-up in one transaction.
        "update_user_spending_step_up" => &[PUT, UPDATE],
        // New session or refresh token, account, and the counter cleared, in one transaction.
        "open_session" | "open_refresh" => &[PUT, UPDATE, DELETE],
        // Settle the challenge, free its session's slot, step the session up.
        "answer_push_challenge" => &[UPDATE, DELETE, PUT],
        // Issue 25: the profile, unless the address is reserved by an account that left it.
        "create_user" => &[PUT, CONDITION_CHECK],
        // The profile moved, the reservation left or consumed, counters and passkey names,
        // the caller's login re-pointed.
        "move_account" => &[DELETE, PUT, UPDATE],
        "revert_account" => &[DELETE, PUT],
        "get_moved" => &[GET],
        "see_device" => &[UPDATE],
        "list_devices" => &[QUERY],
        "forget_devices" => &[QUERY, DELETE],
        // The operator's export: the table, a page at a time.
        "scan_accounts" => &[SCAN],
        _ => return None,
    })
}

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
    /// for it: one read of an item that never exists, under a key every function may read
    /// ([`crate::iam::STORE_WARM_UP`]). Any answer will do.
    pub async fn warm_up(&self) {
        let _ = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(WARM_UP_KEY.into(), WARM_UP_KEY)))
            .send()
            .await;
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

    /// Every unrevoked item of the user's partition whose sort key starts with `prefix`
    /// (sessions, refresh families), in one query per page.
    async fn list_unrevoked<T: DeserializeOwned>(&self, user_id: &str, prefix: &str) -> StoreResult<Vec<T>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .filter_expression("revoked = :false")
            .expression_attribute_values(":pk", s(format!("USER#{user_id}")))
            .expression_attribute_values(":prefix", s(prefix))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .consistent_read(true);
        self.query_all(query).await?.into_iter().map(decode).collect()
    }

    /// Every item `query` finds, page after page.
    async fn query_all(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> StoreResult<Vec<Item>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = query.clone().set_exclusive_start_key(start.take()).send().await.map_err(classify)?;
            found.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(found),
            }
        }
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

mod accounts;
mod ceremonies;
mod clients;
mod codes;
mod erasure;
mod events;
mod lockouts;
mod logins;
mod moves;
mod push;
mod rates;
mod refresh;
mod scan;
mod sessions;
