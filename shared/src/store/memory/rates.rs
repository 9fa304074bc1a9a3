//! Rate and budget counters per window in the memory store.

use super::*;

#[async_trait]
impl RateStore for MemoryStore {
    async fn hit_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64> {
        let mut t = self.lock()?;
        // Forget long-finished windows now and then, as the TTL does in DynamoDB: no window is
        // longer than a day, and the sliding estimate reads the one before the current one.
        if t.rates.len() > 10_000 {
            t.rates.retain(|(_, end), _| *end + 2 * 86_400 >= window_end);
        }
        let count = t.rates.entry((key.to_owned(), window_end)).or_insert(0);
        *count += 1;
        Ok(*count)
    }

    async fn get_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64> {
        Ok(self.lock()?.rates.get(&(key.to_owned(), window_end)).copied().unwrap_or(0))
    }

    async fn release_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<()> {
        if let Some(count) = self.lock()?.rates.get_mut(&(key.to_owned(), window_end)) {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }

    async fn claim_cooldown(&self, key: &str, now: Epoch, secs: i64) -> StoreResult<bool> {
        let mut t = self.lock()?;
        if t.cooldowns.get(key).is_some_and(|at| *at > now - secs) {
            return Ok(false);
        }
        t.cooldowns.insert(key.to_owned(), now);
        Ok(true)
    }

    async fn release_cooldown(&self, key: &str, claimed_at: Epoch) -> StoreResult<()> {
        let mut t = self.lock()?;
        if t.cooldowns.get(key) == Some(&claimed_at) {
            t.cooldowns.remove(key);
        }
        Ok(())
    }
}
