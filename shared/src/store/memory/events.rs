//! The accounts' security-event trails in the memory store.

use super::*;

#[async_trait]
impl EventStore for MemoryStore {
    async fn record_events(&self, events: Events<'_>) -> StoreResult<()> {
        self.lock()?.put_events(events);
        Ok(())
    }

    async fn list_events(&self, user_id: &str, before: Option<&str>, limit: usize) -> StoreResult<Vec<SecurityEvent>> {
        let t = self.lock()?;
        let from = (user_id.to_owned(), String::new());
        let to = (user_id.to_owned(), before.map(str::to_owned).unwrap_or_else(|| "~".to_owned()));
        Ok(t.events.range(from..to).rev().take(limit).map(|(_, e)| e.clone()).collect())
    }
}
