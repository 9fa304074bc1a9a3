//! Reading every account, a page at a time: the operator's export.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::User;

/// A page of accounts, and where the next one starts (`None`: this was the last).
pub type Page = (Vec<User>, Option<String>);

#[async_trait]
pub trait ScanStore: Send + Sync {
    /// The accounts (deleted ones left out) of the page after `cursor` (`None`: the first),
    /// about `limit` items read, and the cursor of the next page. A page may hold no account
    /// while a next one follows. Accounts created or changed during the scan may or may not
    /// be in it; every account that exists throughout is in it once.
    async fn scan_accounts(&self, cursor: Option<&str>, limit: usize) -> StoreResult<Page>;
}
