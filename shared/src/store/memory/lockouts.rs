//! The failed-attempt counter in the memory store.

use super::*;

#[async_trait]
impl LockoutStore for MemoryStore {
    async fn load_lockout(&self, email: &str) -> StoreResult<StoredLockout> {
        Ok(stored_lockout(&*self.lock()?, email))
    }

    async fn save_lockout(&self, email: &str, expected: Option<u64>, next: &Lockout) -> StoreResult<()> {
        let mut t = self.lock()?;
        let current = t.lockouts.get(email).map(|(_, v)| *v);
        if current != expected {
            return Err(StoreError::Conflict);
        }
        t.lockouts.insert(email.to_owned(), (*next, expected.unwrap_or(0) + 1));
        Ok(())
    }

    async fn clear_lockout(&self, email: &str) -> StoreResult<()> {
        self.lock()?.lockouts.remove(email);
        Ok(())
    }
}
