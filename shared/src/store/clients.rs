//! The OpenID Connect provider's registered clients.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::oidc::OidcClient;

#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Registers a client; `Conflict` if its id is taken.
    async fn put_client(&self, client: &OidcClient) -> StoreResult<()>;

    async fn get_client(&self, client_id: &str) -> StoreResult<Option<OidcClient>>;

    /// Every registered client, by id.
    async fn list_clients(&self) -> StoreResult<Vec<OidcClient>>;

    /// Removes a client; `false` if there was none.
    async fn remove_client(&self, client_id: &str) -> StoreResult<bool>;
}
