//! Surface-2 refresh tokens, kept as hashes in DynamoDB.

use super::*;

#[async_trait]
impl RefreshStore for DynamoStore {
    async fn open_refresh(&self, token: &RefreshToken, user: &User) -> StoreResult<User> {
        let pk = format!("USER#{}", token.user_id);
        let item = encode(token, pk, &format!("REFRESH#{}", token.token_hash), Some(token.expires_at))?;
        self.write_login(item, user).await
    }

    async fn get_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        self.get(key(format!("USER#{user_id}"), &format!("REFRESH#{token_hash}"))).await
    }

    async fn revoke_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<()> {
        self.mark_revoked(key(format!("USER#{user_id}"), &format!("REFRESH#{token_hash}"))).await
    }
}
