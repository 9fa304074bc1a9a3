//! The OpenID Connect clients in the memory store.

use super::*;
use crate::model::oidc::OidcClient;

#[async_trait]
impl ClientStore for MemoryStore {
    async fn put_client(&self, client: &OidcClient) -> StoreResult<()> {
        let mut t = self.lock()?;
        if t.clients.contains_key(&client.client_id) {
            return Err(StoreError::Conflict);
        }
        t.clients.insert(client.client_id.clone(), client.clone());
        Ok(())
    }

    async fn get_client(&self, client_id: &str) -> StoreResult<Option<OidcClient>> {
        Ok(self.lock()?.clients.get(client_id).cloned())
    }

    async fn list_clients(&self) -> StoreResult<Vec<OidcClient>> {
        Ok(self.lock()?.clients.values().cloned().collect())
    }

    async fn remove_client(&self, client_id: &str) -> StoreResult<bool> {
        Ok(self.lock()?.clients.remove(client_id).is_some())
    }
}
