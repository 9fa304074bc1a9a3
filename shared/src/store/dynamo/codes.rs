//! One-time code challenges in DynamoDB.

use super::*;

#[async_trait]
impl CodeStore for DynamoStore {
    async fn put_code(&self, challenge: &CodeChallenge, cooldown_secs: i64, now: Epoch) -> StoreResult<()> {
        let sk = format!("CODE#{}", challenge.purpose);
        let item = encode(challenge, format!("USER#{}", challenge.user_id), &sk, Some(challenge.expires_at))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR createdAt <= :cutoff")
            .expression_attribute_values(":cutoff", n(now - cooldown_secs))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn spend_code_try(
        &self,
        user_id: &str,
        purpose: &str,
        now: Epoch,
        max_attempts: u32,
    ) -> StoreResult<Option<CodeChallenge>> {
        // The condition is `domain::codes::spendable`, evaluated by DynamoDB inside the write, so
        // concurrent checks are handed tries one at a time and never more than `max_attempts`.
        let spent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("USER#{user_id}"), &format!("CODE#{purpose}"))))
            .update_expression("SET attempts = attempts + :one")
            .condition_expression("attribute_exists(PK) AND attempts < :max AND expiresAt > :now")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max_attempts))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(classify);
        match spent {
            Ok(out) => Ok(Some(decode(out.attributes.unwrap_or_default())?)),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn consume_code(&self, user_id: &str, purpose: &str, code_hash: &str) -> StoreResult<bool> {
        let consumed = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("USER#{user_id}"), &format!("CODE#{purpose}"))))
            .condition_expression("codeHash = :h")
            .expression_attribute_values(":h", s(code_hash))
            .send()
            .await
            .map_err(classify);
        match consumed {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn get_code(&self, user_id: &str, purpose: &str) -> StoreResult<Option<CodeChallenge>> {
        self.get(key(format!("USER#{user_id}"), &format!("CODE#{purpose}"))).await
    }

    async fn delete_code(&self, user_id: &str, purpose: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("USER#{user_id}"), &format!("CODE#{purpose}"))))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}
