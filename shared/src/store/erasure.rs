//! The port of an account's erasure, after its deletion's mark.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::User;

/// Erasing a deleted account ((`app::erasure`)): every step idempotent, so an erasure
/// that stopped midway is finished by running it again. The account item is marked deleted
/// first (by [`super::AccountStore::update_user`]), and removed last ([`ErasureStore::erase_account`]).
#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// The account item of `email` as stored, a deleted one included (which `get_user` hides).
    async fn get_account_record(&self, email: &str) -> StoreResult<Option<User>>;

    /// Deletes every item of the account `user_id` keeps under its id: sessions, codes, push
    /// challenges in flight, refresh families, the security-event trail (and whatever else
    /// lives in its partition), and the push challenges and WebAuthn ceremonies they name.
    /// Returns how many items it deleted.
    async fn erase_user_items(&self, user_id: &str) -> StoreResult<usize>;

    /// The ids of every login of the account (sessions and refresh families, revoked or not):
    /// the budgets its logins spent are keyed by them.
    async fn list_login_ids(&self, user_id: &str) -> StoreResult<Vec<String>>;

    /// Deletes the rate counters (every window) and cooldown claims of these keys.
    async fn erase_counters(&self, keys: &[String]) -> StoreResult<()>;

    /// Removes the account item of `user.email` if it is still `user`'s account (same user id)
    /// and marked deleted, with the address's failed-attempt counter: the address is free.
    async fn erase_account(&self, user: &User) -> StoreResult<()>;
}
