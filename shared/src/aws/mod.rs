//! The AWS SDK's configuration, loaded once per process and shared by every client of it, with
//! the HTTPS client the service's calls to AWS go through.
//!
//! That client trusts Amazon's own root authorities, the ones every AWS service endpoint's
//! certificate chains to (Amazon Trust Services: Amazon Root CA 1 to 4, and Starfield Services
//! Root G2 which cross-signs them), embedded in the binary, rather than the system's store. A
//! cold start then parses 5 certificates instead of reading and parsing the system's 140-odd
//! (and, where the system also keeps them one file per certificate, as Debian does, every file
//! of that directory): see docs/performance.md for what each costs. It also narrows whom a
//! call to AWS trusts to Amazon's authorities alone. `AUTH_TLS_ROOTS=system` gives back the
//! system's store (the SDK's default): for endpoints outside Amazon Trust Services, such as a
//! TLS-inspecting proxy or an emulator served over HTTPS with its own authority.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Amazon Trust Services' root certificates (PEM; each one's SHA-256 fingerprint beside it).
pub const AMAZON_ROOTS: &str = include_str!("amazon-roots.pem");

/// The variable that gives back the system's trust store.
pub const ROOTS_VAR: &str = "AUTH_TLS_ROOTS";

/// The SDK's configuration from the environment (region, credentials, endpoints), with the
/// HTTPS client of [`https_client`] unless `AUTH_TLS_ROOTS=system`.
pub async fn sdk_config() -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest());
    let system = std::env::var(ROOTS_VAR).is_ok_and(|v| v.trim() == "system");
    let loader = if system { loader } else { loader.http_client(https_client()) };
    loader.load().await
}

/// The SDK's default HTTPS client (hyper 1, rustls on aws-lc, the proxy from the environment,
/// as `aws-smithy-runtime` builds it) trusting [`AMAZON_ROOTS`] only.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(AMAZON_ROOTS.as_bytes());
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        // A context holding a trust store cannot fail to build; were it to, the SDK's default
        // context (the system's store) is the safe side.
        connector.set_tls_context(TlsContext::builder().with_trust_store(trust).build().unwrap_or_default());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded roots are the five Amazon Trust Services publishes, each a valid trust
    /// anchor (the SDK would refuse the whole store at the first connection otherwise).
    #[test]
    fn the_embedded_roots_are_amazons_five_valid_anchors() {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let certs: Vec<_> = CertificateDer::pem_slice_iter(AMAZON_ROOTS.as_bytes()).collect::<Result<_, _>>().unwrap();
        assert_eq!(certs.len(), 5);
        let mut roots = rustls::RootCertStore::empty();
        let (valid, invalid) = roots.add_parsable_certificates(certs);
        assert_eq!((valid, invalid), (5, 0));
        for name in
            ["Amazon Root CA 1", "Amazon Root CA 2", "Amazon Root CA 3", "Amazon Root CA 4", "Starfield Services Root"]
        {
            assert!(AMAZON_ROOTS.contains(name), "{name}");
        }
    }
}
