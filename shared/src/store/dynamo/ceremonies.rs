//! WebAuthn ceremonies and passkey user handles in DynamoDB.

use super::*;

fn ceremony_key(id: &str) -> Item {
    key(format!("CEREMONY#{id}"), "CEREMONY")
}

/// The item that says which account a passkey name (a user handle, a credential id) is.
fn owner_key(name: &str) -> Item {
    key(format!("PASSKEY#{name}"), "OWNER")
}

#[async_trait]
impl CeremonyStore for DynamoStore {
    async fn put_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()> {
        let item = encode(ceremony, format!("CEREMONY#{}", ceremony.id), "CEREMONY", Some(ceremony.expires_at))?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(classify)?;
        Ok(())
    }

    async fn take_ceremony(&self, id: &str, kind: CeremonyKind) -> StoreResult<Option<Ceremony>> {
        // The condition is what makes the take single: concurrent unconditional deletes may
        // each return the old item (DynamoDB Local does), a conditional one succeeds once.
        let kind = serde_json::to_value(kind).map_err(|e| StoreError::Other(e.into()))?;
        let kind = kind.as_str().ok_or_else(|| StoreError::Other("a ceremony kind is a string".into()))?;
        let taken = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(ceremony_key(id)))
            .condition_expression("attribute_exists(PK) AND #kind = :kind")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_values(":kind", s(kind))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(classify);
        let out = match taken {
            Ok(out) => out,
            Err(StoreError::Conflict) => return Ok(None),
            Err(e) => return Err(e),
        };
        match out.attributes {
            Some(mut item) if !item.is_empty() => {
                item.remove(TTL_ATTRIBUTE);
                decode(item).map(Some)
            }
            _ => Ok(None),
        }
    }

    async fn claim_passkey_name(&self, name: &str, email: &str) -> StoreResult<bool> {
        let mut item = owner_key(name);
        item.insert("email".to_owned(), s(email));
        let claimed = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(classify);
        match claimed {
            Ok(_) => Ok(true),
            // Held already: by this account (nothing to do) or by another.
            Err(StoreError::Conflict) => match self.passkey_owner(name).await? {
                Some(owner) if owner == email => Ok(false),
                _ => Err(StoreError::Conflict),
            },
            Err(e) => Err(e),
        }
    }

    async fn release_passkey_name(&self, name: &str, email: &str) -> StoreResult<()> {
        let released = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(owner_key(name)))
            .condition_expression("email = :email")
            .expression_attribute_values(":email", s(email))
            .send()
            .await
            .map_err(classify);
        match released {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn passkey_owner(&self, name: &str) -> StoreResult<Option<String>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(owner_key(name)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.item.and_then(|i| i.get("email").and_then(|v| v.as_s().ok()).cloned()))
    }
}
