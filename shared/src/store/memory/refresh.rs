//! Surface-2 refresh tokens, kept as hashes in the memory store.

use super::*;

#[async_trait]
impl RefreshStore for MemoryStore {
    async fn open_refresh(&self, token: &RefreshToken, user: &User) -> StoreResult<User> {
        let mut t = self.lock()?;
        let saved = cas_user(&mut t, user)?;
        t.refresh.insert((token.user_id.clone(), token.token_hash.clone()), token.clone());
        t.lockouts.remove(&user.email);
        Ok(saved)
    }

    async fn get_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        Ok(self.lock()?.refresh.get(&(user_id.to_owned(), token_hash.to_owned())).cloned())
    }

    async fn revoke_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<()> {
        if let Some(r) = self.lock()?.refresh.get_mut(&(user_id.to_owned(), token_hash.to_owned())) {
            r.revoked = true;
        }
        Ok(())
    }
}
