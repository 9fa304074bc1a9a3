//! Push step-up challenges, one in flight per session in DynamoDB.

use super::*;

#[async_trait]
impl PushStore for DynamoStore {
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
        // The challenge names its account (user id, address) and outlives its lock by a day: a
        // reference under the account lets the account's erasure find it.
        let reference = HashMap::from([
            ("PK".to_owned(), s(format!("USER#{}", challenge.user_id))),
            ("SK".to_owned(), s(format!("PUSHREF#{}", challenge.id))),
            ("challengeId".to_owned(), s(&challenge.id)),
            (TTL_ATTRIBUTE.to_owned(), n(challenge.expires_at + 86_400)),
        ]);
        let put_reference = Put::builder()
            .table_name(&self.table)
            .set_item(Some(reference))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.client
            .transact_write_items()
            .client_request_token(request_token()?)
            .transact_items(TransactWriteItem::builder().put(put_marker).build())
            .transact_items(TransactWriteItem::builder().put(put_challenge).build())
            .transact_items(TransactWriteItem::builder().put(put_reference).build())
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
        events: Events<'_>,
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
        let mut items = vec![
            TransactWriteItem::builder().update(settle).build(),
            TransactWriteItem::builder().delete(release).build(),
        ];
        if status == PushStatus::Approved && challenge.login.is_none() {
            let stepped_up = serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(SessionStatus::SteppedUp)
                .map_err(|e| StoreError::Other(e.into()))?;
            let step_up = Update::builder()
                .table_name(&self.table)
                .set_key(Some(session_key(&challenge.session_id)?))
                .update_expression("SET #s = :s, anchored = :a")
                .condition_expression("attribute_exists(PK) AND revoked = :false AND absoluteExpiresAt > :now")
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":s", stepped_up)
                .expression_attribute_values(":a", AttributeValue::Bool(challenge.anchored))
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .expression_attribute_values(":now", n(now))
                .build()
                .map_err(|e| StoreError::Other(e.into()))?;
            items.push(TransactWriteItem::builder().update(step_up).build());
        }
        self.transact_with_events(items, events).await
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

    async fn claim_push_login(&self, id: &str) -> StoreResult<bool> {
        let approved = serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(PushStatus::Approved)
            .map_err(|e| StoreError::Other(e.into()))?;
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("PUSH#{id}"), "PUSH")))
            .update_expression("SET #l.claimed = :true")
            .condition_expression("#s = :approved AND #l.claimed = :false")
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#l", "login")
            .expression_attribute_values(":approved", approved)
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await;
        match claimed.map_err(classify) {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
