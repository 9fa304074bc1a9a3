//! The accounts in the memory store, by address, a page at a time.

use super::*;
use crate::store::scan::{Page, ScanStore};

#[async_trait]
impl ScanStore for MemoryStore {
    async fn scan_accounts(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Page> {
        let t = self.lock()?;
        let mut emails: Vec<&String> = t.users.keys().filter(|e| cursor.is_none_or(|c| e.as_str() > c)).collect();
        emails.sort();
        let limit = limit.max(1);
        let next = (emails.len() > limit).then(|| emails[limit - 1].clone());
        let users = emails.iter().take(limit).filter_map(|e| t.users.get(*e)).filter(|u| !u.deleted).cloned().collect();
        Ok((users, next))
    }
}
