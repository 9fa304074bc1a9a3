//! The accounts, a page of a `Scan` at a time (strongly consistent), profile items only.

use super::*;
use crate::store::scan::{Page, ScanStore};

#[async_trait]
impl ScanStore for DynamoStore {
    async fn scan_accounts(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Page> {
        let malformed = || StoreError::Other("malformed scan cursor".into());
        let start = match cursor {
            None => None,
            Some(c) => {
                let [pk, sk]: [String; 2] = serde_json::from_str(c).map_err(|_| malformed())?;
                Some(HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))]))
            }
        };
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("SK = :profile AND begins_with(PK, :account)")
            .expression_attribute_values(":profile", s("PROFILE"))
            .expression_attribute_values(":account", s("ACCOUNT#"))
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(classify)?;
        let mut users = Vec::new();
        for item in out.items.unwrap_or_default() {
            let user: User = decode(item)?;
            if !user.deleted {
                users.push(user);
            }
        }
        let key = |k: &Item, name: &str| k.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        let next = match out.last_evaluated_key {
            Some(k) if !k.is_empty() => {
                Some(serde_json::to_string(&[key(&k, "PK"), key(&k, "SK")]).map_err(|e| StoreError::Other(e.into()))?)
            }
            _ => None,
        };
        Ok((users, next))
    }
}
