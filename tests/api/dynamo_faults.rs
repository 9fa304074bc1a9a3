//! The DynamoDB adapter under AWS's failure modes, with `aws-smithy-mocks` standing in for the
//! service: throttling and internal errors become `Unavailable` (503 with Retry-After at the
//! edge), failed conditions and cancelled transactions `Conflict`, a dead endpoint `Unavailable`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shared::store::prelude::*;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::error::{
    ConditionalCheckFailedException, InternalServerError, ProvisionedThroughputExceededException,
    TransactionCanceledException,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use shared::api::ApiError;
use shared::model::{IdentityId, IdentityType, Session, SessionStatus, User};
use shared::store::{DynamoStore, FailedLogins, StoreError};
use shared::token::TokenType;

/// Error metadata as the service sends it: the code and message travel in the response.
fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn user() -> User {
    integration_tests::account("ada@example.com", "1", 0)
}

fn session() -> Session {
    Session {
        session_id: "1.a".into(),
        user_id: "1".into(),
        email: "ada@example.com".into(),
        kind: TokenType::Auth,
        identity: IdentityId { kind: IdentityType::Consumer, id: "7".into() },
        status: SessionStatus::Standard,
        created_at: 0,
        idle_expires_at: 300,
        absolute_expires_at: 3600,
        revoked: false,
        grants: Default::default(),
        last_used_at: None,
        user_agent: String::new(),
        source_ip: String::new(),
        anchored: false,
        mailbox: false,
    }
}

#[tokio::test]
async fn throttling_and_internal_errors_are_unavailable_and_answer_503() {
    let throttled = mock!(Client::get_item).then_error(|| {
        GetItemError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message("slow down")
                .meta(meta("ProvisionedThroughputExceededException", "slow down"))
                .build(),
        )
    });
    let internal = mock!(Client::get_item).then_error(|| {
        GetItemError::InternalServerError(
            InternalServerError::builder().message("oops").meta(meta("InternalServerError", "oops")).build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&throttled, &internal]);
    let store = DynamoStore::new(client, "t");
    for _ in 0..2 {
        let err = store.get_user("ada@example.com").await.unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        let response = shared::api::surface1::error::render(&ApiError::from(err));
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
    }
}

#[tokio::test]
async fn a_failed_condition_is_a_conflict() {
    let rule = mock!(Client::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .message("no")
                .meta(meta("ConditionalCheckFailedException", "no"))
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, &[&rule]);
    let store = DynamoStore::new(client, "t");
    assert!(matches!(store.update_user(&user(), &[]).await, Err(StoreError::Conflict)));
}

#[tokio::test]
async fn a_cancelled_transaction_is_a_conflict_or_a_retry_by_its_reason() {
    let failed_condition = mock!(Client::transact_write_items).then_error(|| {
        let reason = "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]";
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder().message(reason).meta(meta("TransactionCanceledException", reason)).build(),
        )
    });
    let contended = mock!(Client::transact_write_items).then_error(|| {
        let reason = "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None, None]";
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder().message(reason).meta(meta("TransactionCanceledException", reason)).build(),
        )
    });
    let throttled = mock!(Client::transact_write_items).then_error(|| {
        TransactWriteItemsError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message("slow down")
                .meta(meta("ProvisionedThroughputExceededException", "slow down"))
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&failed_condition, &contended, &throttled]);
    let store = DynamoStore::new(client, "t");
    assert!(matches!(
        store.open_session(&session(), &user(), FailedLogins::Clear, &[]).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        store.open_session(&session(), &user(), FailedLogins::Clear, &[]).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.open_session(&session(), &user(), FailedLogins::Clear, &[]).await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_session_touch_that_fails_its_condition_means_no_session() {
    let rule = mock!(Client::update_item).then_error(|| {
        UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder().meta(meta("ConditionalCheckFailedException", "")).build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, &[&rule]);
    let store = DynamoStore::new(client, "t");
    assert_eq!(store.touch_session("1.a", None, 10, 310).await.unwrap(), None);
}

#[tokio::test]
async fn a_dead_endpoint_is_unavailable_not_a_crash() {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .timeout_config(TimeoutConfig::builder().operation_timeout(Duration::from_secs(2)).build())
        .build();
    let store = DynamoStore::new(Client::from_conf(conf), "t");
    let err = store.load_login("ada@example.com", 0).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}
