//! One-time code challenges in the memory store.

use super::*;

#[async_trait]
impl CodeStore for MemoryStore {
    async fn put_code(&self, challenge: &CodeChallenge, cooldown_secs: i64, now: Epoch) -> StoreResult<()> {
        let mut t = self.lock()?;
        let key = (challenge.user_id.clone(), challenge.purpose.clone());
        if t.codes.get(&key).is_some_and(|c| c.created_at > now - cooldown_secs) {
            return Err(StoreError::Conflict);
        }
        t.codes.insert(key, challenge.clone());
        Ok(())
    }

    async fn spend_code_try(
        &self,
        user_id: &str,
        purpose: &str,
        now: Epoch,
        max_attempts: u32,
    ) -> StoreResult<Option<CodeChallenge>> {
        let mut t = self.lock()?;
        match t.codes.get_mut(&(user_id.to_owned(), purpose.to_owned())) {
            Some(c) if code_rules::spendable(c, now, max_attempts) => {
                c.attempts += 1;
                Ok(Some(c.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn consume_code(&self, user_id: &str, purpose: &str, code_hash: &str) -> StoreResult<bool> {
        let mut t = self.lock()?;
        let key = (user_id.to_owned(), purpose.to_owned());
        if t.codes.get(&key).is_some_and(|c| constant_time_eq(c.code_hash.as_bytes(), code_hash.as_bytes())) {
            t.codes.remove(&key);
            return Ok(true);
        }
        Ok(false)
    }

    async fn get_code(&self, user_id: &str, purpose: &str) -> StoreResult<Option<CodeChallenge>> {
        Ok(self.lock()?.codes.get(&(user_id.to_owned(), purpose.to_owned())).cloned())
    }

    async fn delete_code(&self, user_id: &str, purpose: &str) -> StoreResult<()> {
        self.lock()?.codes.remove(&(user_id.to_owned(), purpose.to_owned()));
        Ok(())
    }
}
