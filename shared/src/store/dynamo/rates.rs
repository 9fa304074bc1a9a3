//! Rate and budget counters per window in DynamoDB.

use super::*;

/// A budget's counter of the window ending at `window_end`.
fn rate_key(name: &str, window_end: Epoch) -> Item {
    key(format!("RATE#{name}"), &window_end.to_string())
}

/// The count a counter item holds.
fn hits(item: &Item) -> Option<u64> {
    item.get("hits").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

#[async_trait]
impl RateStore for DynamoStore {
    async fn hit_rate_counter(&self, key_name: &str, window_end: Epoch) -> StoreResult<u64> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(rate_key(key_name, window_end)))
            // Kept a day past its window: a sliding budget still reads it as the previous one.
            .update_expression("ADD hits :one SET expiresAt = :keep")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":keep", n(window_end + 86_400))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(classify)?;
        out.attributes.as_ref().and_then(hits).ok_or_else(|| StoreError::Other("rate counter without hits".into()))
    }

    async fn get_rate_counter(&self, key_name: &str, window_end: Epoch) -> StoreResult<u64> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(rate_key(key_name, window_end)))
            .send()
            .await
            .map_err(classify)?;
        Ok(out.item.as_ref().and_then(hits).unwrap_or(0))
    }

    async fn release_rate_counter(&self, key_name: &str, window_end: Epoch) -> StoreResult<()> {
        let released = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(rate_key(key_name, window_end)))
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

    async fn claim_cooldown(&self, key_name: &str, now: Epoch, secs: i64) -> StoreResult<bool> {
        let item = HashMap::from([
            ("PK".to_owned(), s(format!("COOLDOWN#{key_name}"))),
            ("SK".to_owned(), s("COOLDOWN")),
            ("claimedAt".to_owned(), n(now)),
            (TTL_ATTRIBUTE.to_owned(), n(now + secs)),
        ]);
        let claimed = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR claimedAt <= :cutoff")
            .expression_attribute_values(":cutoff", n(now - secs))
            .send()
            .await
            .map_err(classify);
        match claimed {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn release_cooldown(&self, key_name: &str, claimed_at: Epoch) -> StoreResult<()> {
        let released = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("COOLDOWN#{key_name}"), "COOLDOWN")))
            .condition_expression("claimedAt = :at")
            .expression_attribute_values(":at", n(claimed_at))
            .send()
            .await
            .map_err(classify);
        match released {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
