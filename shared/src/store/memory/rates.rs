//! Rate and budget counters per window in the memory store.

use super::*;

#[async_trait]
impl RateStore for MemoryStore {
    async fn hit_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64> {
        let mut t = self.lock()?;
        // Forget finished windows now and then, as the TTL does in DynamoDB.
        if t.rates.len() > 10_000 {
            t.rates.retain(|(_, end), _| *end >= window_end);
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
}
