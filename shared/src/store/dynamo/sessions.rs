//! Surface-1 sessions and their ACCESS grants in DynamoDB.

use super::*;

#[async_trait]
impl SessionStore for DynamoStore {
    async fn open_session(
        &self,
        session: &Session,
        user: &User,
        failed: FailedLogins,
        events: Events<'_>,
    ) -> StoreResult<User> {
        let mut item = encode(session, String::new(), "", Some(session.absolute_expires_at))?;
        item.extend(session_key(&session.session_id)?);
        self.write_login(item, user, failed, events).await
    }

    async fn touch_session(
        &self,
        session_id: &str,
        grant: Option<&str>,
        now: Epoch,
        new_idle: Epoch,
    ) -> StoreResult<Option<Session>> {
        let (set, alive) = match grant {
            None => ("SET idleExpiresAt = :idle, lastUsedAt = :now", "idleExpiresAt > :now"),
            Some(_) => ("SET grants.#g.idleExpiresAt = :idle, lastUsedAt = :now", "grants.#g.idleExpiresAt > :now"),
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

    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>> {
        self.get(session_key(session_id)?).await
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

    async fn set_session_status(
        &self,
        session_id: &str,
        status: SessionStatus,
        anchored: bool,
        now: Epoch,
        events: Events<'_>,
    ) -> StoreResult<()> {
        let value =
            serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(status).map_err(|e| StoreError::Other(e.into()))?;
        let anchored = AttributeValue::Bool(anchored && status == SessionStatus::SteppedUp);
        let set = "SET #s = :s, anchored = :a";
        if events.is_empty() {
            let values = vec![(":s", value), (":a", anchored)];
            return self.update_live_session(session_id, set, &[("#s", "status")], values, now).await;
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(session_key(session_id)?))
            .update_expression(set)
            .condition_expression("attribute_exists(PK) AND revoked = :false AND absoluteExpiresAt > :now")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":s", value)
            .expression_attribute_values(":a", anchored)
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        self.transact_with_events(vec![TransactWriteItem::builder().update(update).build()], events).await
    }

    async fn end_session(&self, session_id: &str, now: Epoch, events: Events<'_>) -> StoreResult<bool> {
        // Alive means unrevoked and within the absolute lifetime, idle or not.
        let ended = if events.is_empty() {
            let revoke = vec![(":true", AttributeValue::Bool(true))];
            self.update_live_session(session_id, "SET revoked = :true", &[], revoke, now).await
        } else {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(session_key(session_id)?))
                .update_expression("SET revoked = :true")
                .condition_expression("attribute_exists(PK) AND revoked = :false AND absoluteExpiresAt > :now")
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .expression_attribute_values(":now", n(now))
                .build()
                .map_err(|e| StoreError::Other(e.into()))?;
            self.transact_with_events(vec![TransactWriteItem::builder().update(update).build()], events).await
        };
        match ended {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn revoke_session(&self, session_id: &str, events: Events<'_>) -> StoreResult<bool> {
        self.revoke_reporting(session_key(session_id)?, events).await
    }

    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        self.list_unrevoked(user_id, "SESSION#").await
    }
}
