//! The failed-attempt counter in DynamoDB.

use super::*;

#[async_trait]
impl LockoutStore for DynamoStore {
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
}
