//! Accounts in DynamoDB.

use super::*;

#[async_trait]
impl AccountStore for DynamoStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.create_unreserved(user).await
    }

    async fn get_user(&self, email: &str) -> StoreResult<Option<User>> {
        // A deleted account is no account, until its erasure removes the item.
        Ok(self.get::<User>(key(account_pk(email), "PROFILE")).await?.filter(|u| !u.deleted))
    }

    async fn update_user(&self, user: &User, events: Events<'_>) -> StoreResult<User> {
        let (put, next) = self.put_user(user)?;
        if !events.is_empty() {
            self.transact_with_events(vec![TransactWriteItem::builder().put(put).build()], events).await?;
            return Ok(next);
        }
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
                Some("PROFILE") => user = Some(decode::<User>(item)?).filter(|u| !u.deleted),
                Some("LOCKOUT") => lockout = decode_lockout(item)?,
                _ => {}
            }
        }
        Ok((user, lockout))
    }

    async fn update_user_spending_step_up(
        &self,
        user: &User,
        session_id: &str,
        now: Epoch,
        events: Events<'_>,
    ) -> StoreResult<User> {
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
        let items = vec![
            TransactWriteItem::builder().put(put_user).build(),
            TransactWriteItem::builder().update(spend).build(),
        ];
        self.transact_with_events(items, events).await?;
        Ok(next)
    }
}
