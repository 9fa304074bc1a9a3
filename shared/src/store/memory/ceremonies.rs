//! WebAuthn ceremonies and passkey user handles in the memory store.

use super::*;

#[async_trait]
impl CeremonyStore for MemoryStore {
    async fn put_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()> {
        self.lock()?.ceremonies.insert(ceremony.id.clone(), ceremony.clone());
        Ok(())
    }

    async fn take_ceremony(&self, id: &str) -> StoreResult<Option<Ceremony>> {
        Ok(self.lock()?.ceremonies.remove(id))
    }

    async fn claim_passkey_name(&self, name: &str, email: &str) -> StoreResult<()> {
        let mut t = self.lock()?;
        match t.passkey_names.get(name) {
            Some(owner) if owner != email => Err(StoreError::Conflict),
            Some(_) => Ok(()),
            None => {
                t.passkey_names.insert(name.to_owned(), email.to_owned());
                Ok(())
            }
        }
    }

    async fn release_passkey_name(&self, name: &str, email: &str) -> StoreResult<()> {
        let mut t = self.lock()?;
        if t.passkey_names.get(name).is_some_and(|owner| owner == email) {
            t.passkey_names.remove(name);
        }
        Ok(())
    }

    async fn passkey_owner(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(self.lock()?.passkey_names.get(name).cloned())
    }
}
