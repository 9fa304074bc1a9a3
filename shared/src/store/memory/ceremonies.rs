//! WebAuthn ceremonies and passkey user handles in the memory store.

use super::*;

#[async_trait]
impl CeremonyStore for MemoryStore {
    async fn put_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()> {
        self.lock()?.ceremonies.insert(ceremony.id.clone(), ceremony.clone());
        Ok(())
    }

    async fn take_ceremony(&self, id: &str, kind: CeremonyKind) -> StoreResult<Option<Ceremony>> {
        let mut t = self.lock()?;
        if t.ceremonies.get(id).is_some_and(|c| c.kind == kind) {
            return Ok(t.ceremonies.remove(id));
        }
        Ok(None)
    }

    async fn claim_passkey_name(&self, name: &str, email: &str) -> StoreResult<bool> {
        let mut t = self.lock()?;
        match t.passkey_names.get(name) {
            Some(owner) if owner != email => Err(StoreError::Conflict),
            Some(_) => Ok(false),
            None => {
                t.passkey_names.insert(name.to_owned(), email.to_owned());
                Ok(true)
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
