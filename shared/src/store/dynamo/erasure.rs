//! Erasing a deleted account in DynamoDB: queries of the partitions the account's items live
//! in, then one `DeleteItem` per item. Deleting an item that is gone already succeeds, so every
//! step can run again after a crash; the account item goes last, conditionally.

use super::*;

impl DynamoStore {
    /// The keys (and push challenge ids) of every item of partition `pk`, page by page.
    async fn keys_of(&self, pk: &str) -> StoreResult<Vec<Item>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(pk))
            .projection_expression("PK, SK, challengeId")
            .consistent_read(true);
        self.query_all(query).await
    }

    /// Deletes the item at `item_key` if it is still this account's (`condition`, over `:id`
    /// and `values`); one that is gone already, or another account's by now, is left as it is.
    async fn delete_if_ours(
        &self,
        item_key: Item,
        condition: &str,
        user: &User,
        values: &[(&str, AttributeValue)],
    ) -> StoreResult<()> {
        let mut delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(item_key))
            .condition_expression(condition)
            .expression_attribute_values(":id", s(&user.user_id));
        for (name, value) in values {
            delete = delete.expression_attribute_values(*name, value.clone());
        }
        let removed = delete.send().await.map_err(classify);
        match removed {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn delete_key(&self, item_key: Item) -> StoreResult<()> {
        self.client.delete_item().table_name(&self.table).set_key(Some(item_key)).send().await.map_err(classify)?;
        Ok(())
    }
}

fn text(item: &Item, name: &str) -> String {
    item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

#[async_trait]
impl ErasureStore for DynamoStore {
    async fn get_account_record(&self, email: &str) -> StoreResult<Option<User>> {
        self.get(key(account_pk(email), "PROFILE")).await
    }

    async fn erase_user_items(&self, user_id: &str) -> StoreResult<usize> {
        let mut items = self.keys_of(&format!("USER#{user_id}")).await?;
        // The logins first: should the erasure stop midway, no session or refresh family of the
        // account is left for a token to use (not even where no account is read: the authorizer).
        items.sort_by_key(|item| {
            let sk = text(item, "SK");
            !(sk.starts_with("SESSION#") || sk.starts_with("REFRESH#"))
        });
        let mut deleted = 0;
        for item in items {
            let (pk, sk) = (text(&item, "PK"), text(&item, "SK"));
            if let Some(session_id) = sk.strip_prefix("SESSION#") {
                // The WebAuthn ceremonies bound to the session (minutes long, but personal).
                for kind in [CeremonyKind::Enrolment, CeremonyKind::StepUp] {
                    let id = Ceremony::of_session(kind, session_id);
                    self.delete_key(key(format!("CEREMONY#{id}"), "CEREMONY")).await?;
                }
            }
            if sk.starts_with("PUSHLOCK#") || sk.starts_with("PUSHREF#") {
                let challenge = text(&item, "challengeId");
                if !challenge.is_empty() {
                    self.delete_key(key(format!("PUSH#{challenge}"), "PUSH")).await?;
                }
            }
            self.delete_key(key(pk, &sk)).await?;
            deleted += 1;
        }
        Ok(deleted)
    }

    async fn list_login_ids(&self, user_id: &str) -> StoreResult<Vec<String>> {
        let items = self.keys_of(&format!("USER#{user_id}")).await?;
        let ids = items
            .iter()
            .map(|item| text(item, "SK"))
            .filter_map(|sk| sk.strip_prefix("SESSION#").or_else(|| sk.strip_prefix("REFRESH#")).map(str::to_owned));
        Ok(ids.collect())
    }

    async fn erase_counters(&self, keys: &[String]) -> StoreResult<()> {
        for name in keys {
            for item in self.keys_of(&format!("RATE#{name}")).await? {
                self.delete_key(key(text(&item, "PK"), &text(&item, "SK"))).await?;
            }
            self.delete_key(key(format!("COOLDOWN#{name}"), "COOLDOWN")).await?;
        }
        Ok(())
    }

    async fn erase_account(&self, user: &User) -> StoreResult<()> {
        // Only while it is this account's and marked: gone already, or the address another
        // account's now, nothing of this one is left there.
        let profile = key(account_pk(&user.email), "PROFILE");
        let marked = [(":true", AttributeValue::Bool(true))];
        self.delete_if_ours(profile, "userId = :id AND deleted = :true", user, &marked).await?;
        // The reservations its moves left at its old addresses (they name it), unless the
        // address is another account's reservation by now.
        for from in &user.moved_from {
            let moved = key(account_pk(&from.email), "MOVED");
            self.delete_if_ours(moved, "attribute_not_exists(PK) OR userId = :id", user, &[]).await?;
        }
        self.delete_key(key(account_pk(&user.email), "LOCKOUT")).await
    }
}
