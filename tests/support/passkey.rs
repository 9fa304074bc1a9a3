//! A software passkey authenticator for the tests: 1Password's `passkey-authenticator` behind
//! its WebAuthn client, as a browser would run them, answering the service's options with
//! credentials in the JSON form of `PublicKeyCredential.toJSON()`. The tests can also make it
//! misbehave the ways an attacker would: another origin, another RP id, no user verification,
//! a counter turned back.

use passkey_authenticator::{
    Authenticator, CredentialStore, DiscoverabilitySupport, StoreInfo, UiHint, UserCheck, UserValidationMethod,
};
use passkey_client::{Client, DefaultClientData};
use passkey_types::Passkey;
use passkey_types::ctap2::make_credential::{Options, PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity};
use passkey_types::ctap2::{Aaguid, Ctap2Error, StatusCode};
use passkey_types::webauthn::{CredentialCreationOptions, CredentialRequestOptions, PublicKeyCredentialDescriptor};
use serde_json::Value;

/// The relying party the passkey tests configure: a registrable domain, as in production.
pub const RP_ID: &str = "example.com";
/// The origins the passkey tests allow: the site, and an app on a sub-domain.
pub const ORIGINS: [&str; 2] = ["https://example.com", "https://app.example.com"];

/// The authenticator's credentials: every one of them, for any RP (the client asks by RP id).
#[derive(Default, Clone)]
pub struct Keys(pub Vec<Passkey>);

#[async_trait::async_trait]
impl CredentialStore for Keys {
    type PasskeyItem = Passkey;

    async fn find_credentials(
        &self,
        ids: Option<&[PublicKeyCredentialDescriptor]>,
        rp_id: &str,
        _user_handle: Option<&[u8]>,
    ) -> Result<Vec<Passkey>, StatusCode> {
        let found: Vec<Passkey> = self
            .0
            .iter()
            .filter(|p| match ids {
                Some(ids) if !ids.is_empty() => ids.iter().any(|d| *d.id == *p.credential_id),
                _ => p.rp_id == rp_id,
            })
            .cloned()
            .collect();
        if found.is_empty() { Err(Ctap2Error::NoCredentials.into()) } else { Ok(found) }
    }

    async fn save_credential(
        &mut self,
        cred: Passkey,
        _user: PublicKeyCredentialUserEntity,
        _rp: PublicKeyCredentialRpEntity,
        _options: Options,
    ) -> Result<(), StatusCode> {
        self.0.push(cred);
        Ok(())
    }

    async fn update_credential(&mut self, cred: &Passkey) -> Result<(), StatusCode> {
        if let Some(p) = self.0.iter_mut().find(|p| p.credential_id == cred.credential_id) {
            *p = cred.clone();
        }
        Ok(())
    }

    async fn get_info(&self) -> StoreInfo {
        StoreInfo { discoverability: DiscoverabilitySupport::Full }
    }
}

/// The person at the authenticator: always present, verified as asked.
pub struct Person;

#[async_trait::async_trait]
impl UserValidationMethod for Person {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Passkey>,
        presence: bool,
        verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck { presence, verification })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(true)
    }
}

type SoftClient = Client<Keys, Person, passkey_crypto::AvailableBackend, public_suffix::PublicSuffixList, ()>;

/// A phone or laptop with a platform authenticator, at a web origin.
pub struct SoftAuthenticator {
    client: SoftClient,
}

impl Default for SoftAuthenticator {
    fn default() -> Self {
        Self::new()
    }
}

impl SoftAuthenticator {
    pub fn new() -> Self {
        Self::with_counter(true)
    }

    /// An authenticator that keeps no sign counter (always 0), as synced passkeys do: nothing
    /// but the challenge stops its assertion from being used twice.
    pub fn counterless() -> Self {
        Self::with_counter(false)
    }

    fn with_counter(counting: bool) -> Self {
        let mut authenticator =
            Authenticator::new(Aaguid::new_empty(), Keys::default(), Person, passkey_crypto::AvailableBackend);
        // A counting authenticator by default, so that a counter turned back shows.
        authenticator.set_make_credentials_with_signature_counter(counting);
        // The local API runs on http://localhost, which browsers allow as a secure context too.
        SoftAuthenticator { client: Client::new(authenticator).allows_insecure_localhost(true) }
    }

    /// `navigator.credentials.create(options)` on a page of `origin`; `options` as the
    /// service answered them (`{"publicKey": …}`).
    pub async fn create(&mut self, origin: &str, options: &Value) -> Value {
        let options: CredentialCreationOptions = serde_json::from_value(options.clone()).expect("creation options");
        let origin = url::Url::parse(origin).unwrap();
        let credential = self.client.register(&origin, options, DefaultClientData).await.expect("a new credential");
        serde_json::to_value(credential).unwrap()
    }

    /// `navigator.credentials.get(options)` on a page of `origin`.
    pub async fn get(&mut self, origin: &str, options: &Value) -> Value {
        self.try_get(origin, options).await.expect("an assertion")
    }

    /// As [`Self::get`], `None` when the authenticator has no credential to offer.
    pub async fn try_get(&mut self, origin: &str, options: &Value) -> Option<Value> {
        let options: CredentialRequestOptions = serde_json::from_value(options.clone()).expect("request options");
        let origin = url::Url::parse(origin).unwrap();
        let credential = self.client.authenticate(&origin, options, DefaultClientData).await.ok()?;
        Some(serde_json::to_value(credential).unwrap())
    }

    /// The credentials it holds, counters included (to turn them back later).
    pub fn keys(&self) -> Keys {
        self.client.authenticator().store().clone()
    }

    /// Puts back credentials taken with [`Self::keys`]: a clone of the authenticator as it was.
    pub fn restore(&mut self, keys: Keys) {
        *self.client.authenticator_mut().store_mut() = keys;
    }
}

/// `options` with user verification waived: what a client that skips it would sign.
pub fn without_user_verification(options: &Value) -> Value {
    let mut o = options.clone();
    o["publicKey"]["userVerification"] = "discouraged".into();
    if o["publicKey"]["authenticatorSelection"].is_object() {
        o["publicKey"]["authenticatorSelection"]["userVerification"] = "discouraged".into();
    }
    o
}

/// `options` for another relying party id (a site that is not the service's).
pub fn for_rp_id(options: &Value, rp_id: &str) -> Value {
    let mut o = options.clone();
    if o["publicKey"]["rp"].is_object() {
        o["publicKey"]["rp"]["id"] = rp_id.into();
    } else {
        o["publicKey"]["rpId"] = rp_id.into();
    }
    o
}
