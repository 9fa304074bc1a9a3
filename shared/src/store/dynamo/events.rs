//! The accounts' security-event trails in DynamoDB: one item per event in the account's
//! partition, sorted by time, kept 90 days by TTL.

use super::*;

impl DynamoStore {
    /// Sets `revoked` on an item that exists and is not revoked yet, with `events` in the same
    /// transaction (without any, one update). `false` when the condition failed: nothing to
    /// revoke, nothing to report, so of racing revocations exactly one reports.
    pub(super) async fn revoke_reporting(&self, key: Item, events: Events<'_>) -> StoreResult<bool> {
        const SET: &str = "SET revoked = :true";
        const UNREVOKED: &str = "attribute_exists(PK) AND revoked = :false";
        let (yes, no) = (AttributeValue::Bool(true), AttributeValue::Bool(false));
        let revoked = if events.is_empty() {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key))
                .update_expression(SET)
                .condition_expression(UNREVOKED)
                .expression_attribute_values(":true", yes)
                .expression_attribute_values(":false", no)
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        } else {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .update_expression(SET)
                .condition_expression(UNREVOKED)
                .expression_attribute_values(":true", yes)
                .expression_attribute_values(":false", no)
                .build()
                .map_err(|e| StoreError::Other(e.into()))?;
            self.transact_with_events(vec![TransactWriteItem::builder().update(update).build()], events).await
        };
        match revoked {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The puts of `events` into their accounts' trails, as items of a transaction.
    pub(super) fn event_puts(&self, events: Events<'_>) -> StoreResult<Vec<TransactWriteItem>> {
        events
            .iter()
            .map(|e| {
                let item = encode(
                    e,
                    format!("USER#{}", e.user_id),
                    &format!("EVENT#{}", e.trail_key()),
                    Some(e.expires_at()),
                )?;
                let put = Put::builder().table_name(&self.table).set_item(Some(item)).build();
                Ok(TransactWriteItem::builder().put(put.map_err(|e| StoreError::Other(e.into()))?).build())
            })
            .collect()
    }

    /// One transaction: `items` (the change) and the puts of `events` (its outbox), which count
    /// in the metrics once it committed.
    pub(super) async fn transact_with_events(
        &self,
        items: Vec<TransactWriteItem>,
        events: Events<'_>,
    ) -> StoreResult<()> {
        let mut all = items;
        all.extend(self.event_puts(events)?);
        self.client
            .transact_write_items()
            .client_request_token(request_token()?)
            .set_transact_items(Some(all))
            .send()
            .await
            .map_err(classify)?;
        crate::metrics::committed(events);
        Ok(())
    }
}

#[async_trait]
impl EventStore for DynamoStore {
    async fn record_events(&self, events: Events<'_>) -> StoreResult<()> {
        match events {
            [] => Ok(()),
            [one] => {
                let item = encode(
                    one,
                    format!("USER#{}", one.user_id),
                    &format!("EVENT#{}", one.trail_key()),
                    Some(one.expires_at()),
                )?;
                self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(classify)?;
                crate::metrics::committed(events);
                Ok(())
            }
            many => self.transact_with_events(Vec::new(), many).await,
        }
    }

    async fn list_events(&self, user_id: &str, before: Option<&str>, limit: usize) -> StoreResult<Vec<SecurityEvent>> {
        let upper = format!("EVENT#{}", before.unwrap_or("~"));
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(format!("USER#{user_id}")))
            .expression_attribute_values(":from", s("EVENT#"))
            .expression_attribute_values(":to", s(upper.clone()))
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        let mut events: Vec<SecurityEvent> = Vec::new();
        for item in out.items.unwrap_or_default() {
            // BETWEEN is inclusive: the cursor's own event is not after itself.
            if item.get("SK").and_then(|v| v.as_s().ok()) == Some(&upper) {
                continue;
            }
            events.push(decode(item)?);
        }
        events.truncate(limit);
        Ok(events)
    }
}
