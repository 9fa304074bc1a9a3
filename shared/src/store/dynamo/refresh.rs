//! Surface-2 refresh-token families in DynamoDB: one item per family, in the user's partition.

use super::*;

fn family_key(family_id: &str) -> StoreResult<Item> {
    let user_id = Session::user_id_of(family_id).ok_or(StoreError::Conflict)?;
    Ok(key(format!("USER#{user_id}"), &format!("REFRESH#{family_id}")))
}

impl DynamoStore {
    /// One conditional update of a family that is live at `now` and still at `generation`
    /// (and meets `extra_condition`); `false` when the condition failed.
    async fn update_live_family(
        &self,
        family_id: &str,
        set: &str,
        extra_condition: &str,
        values: Vec<(&str, AttributeValue)>,
        generation: u64,
        now: Epoch,
    ) -> StoreResult<bool> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(family_key(family_id)?))
            .update_expression(set)
            .condition_expression(format!(
                "attribute_exists(PK) AND revoked = :false AND expiresAt > :now AND generation = :g{extra_condition}"
            ))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":g", n(generation));
        for (k, v) in values {
            req = req.expression_attribute_values(k, v);
        }
        match req.send().await.map_err(classify) {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl RefreshStore for DynamoStore {
    async fn open_refresh(&self, family: &RefreshFamily, user: &User, events: Events<'_>) -> StoreResult<User> {
        let mut item = encode(family, String::new(), "", Some(family.expires_at))?;
        item.extend(family_key(&family.family_id)?);
        self.write_login(item, user, FailedLogins::Clear, events).await
    }

    async fn get_refresh(&self, family_id: &str) -> StoreResult<Option<RefreshFamily>> {
        self.get(family_key(family_id)?).await
    }

    async fn rotate_refresh(&self, family_id: &str, generation: u64, now: Epoch) -> StoreResult<bool> {
        let set = "SET generation = :g + :one, rotatedAt = :now, lastUsedAt = :now, graceUsed = :false";
        self.update_live_family(family_id, set, "", vec![(":one", n(1))], generation, now).await
    }

    async fn retry_refresh(&self, family_id: &str, generation: u64, now: Epoch) -> StoreResult<bool> {
        self.update_live_family(
            family_id,
            "SET graceUsed = :true, lastUsedAt = :now",
            " AND graceUsed = :false",
            vec![(":true", AttributeValue::Bool(true))],
            generation,
            now,
        )
        .await
    }

    async fn revoke_refresh(&self, family_id: &str, events: Events<'_>) -> StoreResult<bool> {
        // Not a family id: there is nothing to revoke.
        let Ok(key) = family_key(family_id) else { return Ok(false) };
        self.revoke_reporting(key, events).await
    }

    async fn list_refresh(&self, user_id: &str) -> StoreResult<Vec<RefreshFamily>> {
        self.list_unrevoked(user_id, "REFRESH#").await
    }
}
