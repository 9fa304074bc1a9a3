//! Passkeys (WebAuthn), through `webauthn-rs`: the library parses every CBOR structure,
//! checks the attestation, the origin, the RP id hash, the challenge, the flags (user
//! verification is required in every ceremony), the signature and the sign counter. This module
//! only names the service's three ceremonies (enrolment, an assertion by the account's own
//! credentials, a discoverable login) and carries their states between the two halves as JSON,
//! which the store keeps for [`CEREMONY_SECS`].

use std::time::Duration;

use webauthn_rs::prelude::Credential;
use webauthn_rs::prelude::{
    AuthenticationResult, CredentialID, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::config::{Config, ConfigError};
use crate::domain::error::DomainError;

/// How long either half of a ceremony may wait for the other: the challenge's life.
pub const CEREMONY_SECS: i64 = 300;

/// The relying party this deployment is: its id and the origins its pages run on.
pub struct RelyingParty {
    webauthn: Webauthn,
}

/// The first half of a ceremony: the options for the browser (`{"publicKey": …}`) and the
/// state the second half is checked against.
pub struct Started {
    pub options: serde_json::Value,
    pub state: String,
}

/// What a verified assertion tells: which credential, with what counter and backup flags.
#[derive(Debug, Clone)]
pub struct Asserted {
    pub credential_id: String,
    pub counter: u32,
    /// Kept to move the stored passkey on ([`advance`]).
    result: AuthenticationResult,
}

/// The id of a credential as it travels in URLs and bodies: base64url without padding.
pub fn credential_id(id: &CredentialID) -> String {
    crate::crypto::b64url(id.as_ref())
}

impl RelyingParty {
    /// The relying party of `config`; an origin outside the RP id (or not a URL) is a
    /// configuration error, reported at start-up.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let origins_error = |problem: String| ConfigError { name: "AUTH_WEBAUTHN_ORIGINS", problem };
        let rp_id = config.webauthn_rp_id.as_str();
        if rp_id.is_empty() || rp_id.contains('/') || rp_id.contains(':') {
            return Err(ConfigError { name: "AUTH_WEBAUTHN_RP_ID", problem: format!("`{rp_id}` is not a domain") });
        }
        let mut origins = Vec::new();
        for raw in &config.webauthn_origins {
            let url = Url::parse(raw).map_err(|e| origins_error(format!("`{raw}` is not a URL: {e}")))?;
            let host = url.host_str().unwrap_or_default();
            if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
                return Err(origins_error(format!("`{raw}` is not within the RP id `{rp_id}`")));
            }
            origins.push(url);
        }
        let (first, rest) = origins.split_first().ok_or_else(|| origins_error("no origin given".into()))?;
        let mut builder = WebauthnBuilder::new(rp_id, first)
            .map_err(|e| origins_error(format!("`{first}` with RP id `{rp_id}`: {e}")))?
            .rp_name(&config.totp_issuer)
            .timeout(Duration::from_secs(CEREMONY_SECS as u64));
        for origin in rest {
            builder = builder.append_allowed_origin(origin);
        }
        let webauthn = builder.build().map_err(|e| origins_error(e.to_string()))?;
        Ok(RelyingParty { webauthn })
    }

    /// Enrolment: options for a new passkey of the account `handle` (its WebAuthn user id),
    /// excluding the ones it has. A resident (discoverable) credential is required, so that
    /// every passkey can also log in without naming the account.
    pub fn start_registration(&self, handle: Uuid, name: &str, existing: &[Passkey]) -> Result<Started, DomainError> {
        let exclude: Vec<CredentialID> = existing.iter().map(|p| p.cred_id().clone()).collect();
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(handle, name, name, Some(exclude).filter(|e| !e.is_empty()))
            .map_err(DomainError::internal)?;
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        started(&options, &state)
    }

    /// Enrolment's second half: the passkey the browser created, if it answers the challenge
    /// of `state` from an allowed origin, for this RP id, with the user verified.
    pub fn finish_registration(&self, credential: &serde_json::Value, state: &str) -> Result<Passkey, Refused> {
        let credential: RegisterPublicKeyCredential = parse(credential)?;
        let state: PasskeyRegistration = serde_json::from_str(state).map_err(|_| Refused::Malformed)?;
        self.webauthn.finish_passkey_registration(&credential, &state).map_err(refused)
    }

    /// An assertion by one of `passkeys` (a step-up): the options list them.
    pub fn start_assertion(&self, passkeys: &[Passkey]) -> Result<Started, DomainError> {
        let (options, state) = self.webauthn.start_passkey_authentication(passkeys).map_err(DomainError::internal)?;
        started(&options, &state)
    }

    /// The assertion of a step-up, checked against `state` (which names the credentials).
    pub fn finish_assertion(&self, credential: &serde_json::Value, state: &str) -> Result<Asserted, Refused> {
        let credential: PublicKeyCredential = parse(credential)?;
        let state: PasskeyAuthentication = serde_json::from_str(state).map_err(|_| Refused::Malformed)?;
        self.webauthn.finish_passkey_authentication(&credential, &state).map(asserted).map_err(refused)
    }

    /// A login by any discoverable credential: the options name none, the browser offers the
    /// user their passkeys for this RP id.
    pub fn start_discoverable(&self) -> Result<Started, DomainError> {
        let (mut options, state) = self.webauthn.start_discoverable_authentication().map_err(DomainError::internal)?;
        // A button starts this login, not the autofill of a form: no conditional mediation.
        options.mediation = None;
        started(&options, &state)
    }

    /// Which account (its WebAuthn user id) and credential a discoverable assertion claims to
    /// be, before anything is verified: only to find the passkey to verify it with.
    pub fn identify(&self, credential: &serde_json::Value) -> Result<(Uuid, String), Refused> {
        let parsed: PublicKeyCredential = parse(credential)?;
        let (handle, id) = self.webauthn.identify_discoverable_authentication(&parsed).map_err(refused)?;
        Ok((handle, crate::crypto::b64url(id)))
    }

    /// A discoverable login's assertion, checked against `state` and the claimed `passkey`.
    pub fn finish_discoverable(
        &self,
        credential: &serde_json::Value,
        state: &str,
        passkey: &Passkey,
    ) -> Result<Asserted, Refused> {
        let credential: PublicKeyCredential = parse(credential)?;
        let state: DiscoverableAuthentication = serde_json::from_str(state).map_err(|_| Refused::Malformed)?;
        self.webauthn.finish_discoverable_authentication_v2(&credential, state, passkey).map(asserted).map_err(refused)
    }
}

/// Why a credential was not accepted. The reason is logged, never answered: a client learns
/// only that it was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("not a WebAuthn credential in its JSON form")]
    Malformed,
    #[error("{0}")]
    Verification(String),
}

fn refused(e: webauthn_rs::prelude::WebauthnError) -> Refused {
    Refused::Verification(format!("{e:?}"))
}

fn parse<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T, Refused> {
    serde_json::from_value(value.clone()).map_err(|_| Refused::Malformed)
}

fn started(options: &impl serde::Serialize, state: &impl serde::Serialize) -> Result<Started, DomainError> {
    Ok(Started {
        options: serde_json::to_value(options).map_err(DomainError::internal)?,
        state: serde_json::to_string(state).map_err(DomainError::internal)?,
    })
}

fn asserted(result: AuthenticationResult) -> Asserted {
    Asserted { credential_id: credential_id(result.cred_id()), counter: result.counter(), result }
}

/// A passkey no authenticator holds (its private key was thrown away when it was made): what an
/// unknown credential is checked against, so that its answer takes a wrong one's time.
const DECOY_PASSKEY: &str = include_str!("passkeys/decoy.json");

/// The decoy passkey under the credential id `id` (base64url) and the backup flags of the
/// `presented` credential: the library then runs every check of a known credential, up to the
/// signature, which fails. Taking the presented flags matters: a stored credential whose
/// backup-eligible flag differs is refused before its signature is checked, so a decoy with
/// flags of its own would answer faster or slower than the account's passkey. `None` only if
/// the decoy does not parse (a unit test below keeps it parsing).
pub fn decoy_for(id: &str, presented: &serde_json::Value) -> Option<Passkey> {
    static DECOY: std::sync::OnceLock<Option<Passkey>> = std::sync::OnceLock::new();
    let decoy = DECOY.get_or_init(|| serde_json::from_str(DECOY_PASSKEY).ok()).clone()?;
    let mut credential = Credential::from(decoy);
    if let Some(raw) = crate::crypto::b64url_decode(id) {
        credential.cred_id = raw;
    }
    if let Some((eligible, backed_up)) = backup_flags(presented) {
        credential.backup_eligible = eligible;
        credential.backup_state = backed_up;
    }
    Some(Passkey::from(credential))
}

/// The backup-eligible and backed-up flags (BE, BS) of an assertion's authenticator data: its
/// fixed header is the RP id hash (32 bytes), then the flags byte (WebAuthn §6.1). No CBOR is
/// read here; the library parses the whole structure when it checks the assertion.
fn backup_flags(presented: &serde_json::Value) -> Option<(bool, bool)> {
    let data = presented.get("response")?.get("authenticatorData")?.as_str()?;
    let flags = *crate::crypto::b64url_decode(data)?.get(32)?;
    Some((flags & 0x08 != 0, flags & 0x10 != 0))
}

/// A stored passkey's counter and backup flags, as last verified.
pub fn flags(passkey: &Passkey) -> (u32, bool, bool) {
    let credential = Credential::from(passkey.clone());
    (credential.counter, credential.backup_eligible, credential.backup_state)
}

/// Moves `passkey` to the counter and backup state of a verified assertion; `false` when the
/// assertion's counter does not move past the stored one (both zero: the authenticator keeps
/// no counter): a credential that goes backwards may be a clone.
pub fn advance(passkey: &mut Passkey, asserted: &Asserted) -> bool {
    let (stored, _, _) = flags(passkey);
    if (asserted.counter != 0 || stored != 0) && asserted.counter <= stored {
        return false;
    }
    passkey.update_credential(&asserted.result).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rp_id: &str, origins: &[&str]) -> Config {
        let mut c = Config::local_defaults();
        c.webauthn_rp_id = rp_id.to_owned();
        c.webauthn_origins = origins.iter().map(|o| o.to_string()).collect();
        c
    }

    #[test]
    fn the_decoy_parses_and_takes_the_id_presented() {
        let decoy = decoy_for("AQID", &serde_json::json!({})).unwrap();
        assert_eq!(decoy.cred_id().as_slice(), &[1u8, 2, 3][..]);
    }

    #[test]
    fn the_decoy_takes_the_presented_backup_flags() {
        for (flags, want) in [(0x05u8, (false, false)), (0x0d, (true, false)), (0x1d, (true, true))] {
            let mut data = vec![0u8; 37];
            data[32] = flags;
            let presented = serde_json::json!({"response": {"authenticatorData": crate::crypto::b64url(&data)}});
            let decoy = Credential::from(decoy_for("AQID", &presented).unwrap());
            assert_eq!((decoy.backup_eligible, decoy.backup_state), want, "flags {flags:#x}");
        }
    }

    #[test]
    fn origins_must_lie_within_the_rp_id() {
        assert!(RelyingParty::new(&config("example.com", &["https://app.example.com", "https://example.com"])).is_ok());
        let err = RelyingParty::new(&config("example.com", &["https://evil.test"])).err().unwrap();
        assert_eq!(err.name, "AUTH_WEBAUTHN_ORIGINS");
        let err = RelyingParty::new(&config("example.com", &[])).err().unwrap();
        assert_eq!(err.name, "AUTH_WEBAUTHN_ORIGINS");
        let err = RelyingParty::new(&config("https://example.com", &["https://example.com"])).err().unwrap();
        assert_eq!(err.name, "AUTH_WEBAUTHN_RP_ID");
    }

    #[test]
    fn registration_options_require_a_discoverable_verified_credential() {
        let rp = RelyingParty::new(&config("localhost", &["http://localhost:3000"])).unwrap();
        let started = rp.start_registration(Uuid::from_u128(7), "jane@example.com", &[]).unwrap();
        let selection = &started.options["publicKey"]["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "required", "{}", started.options);
        assert_eq!(selection["userVerification"], "required");
        assert_eq!(started.options["publicKey"]["rp"]["id"], "localhost");
    }
}
