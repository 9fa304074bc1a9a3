//! The provider's RS256 keys (OpenID Connect Discovery requires RS256 among the ID token
//! algorithms; API Gateway's JWT authorizers accept RS and ES only). Unlike the other keys an
//! RSA key cannot be derived cheaply from a generation's seed, so each generation the rotation
//! function makes carries its own, generated with it (`rsa`: base64url PKCS#8); a generation
//! without one (the bare first secret CloudFormation writes, before the rotation at creation)
//! signs nothing with RS256. The public halves are published with the Ed25519 ones.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256};

use crate::crypto;
use crate::domain::error::BoxError;

/// A new RSA-2048 private key, as base64url PKCS#8.
pub fn generate() -> Result<String, BoxError> {
    let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| "RSA key generation failed")?;
    let der = key.as_der().map_err(|_| "RSA key encoding failed")?;
    Ok(crypto::b64url(der.as_ref()))
}

/// The key pair of a stored private key.
pub fn parse(encoded: &str) -> Result<RsaKeyPair, BoxError> {
    let der = crypto::b64url_decode(encoded).ok_or("an RSA key is not base64url")?;
    RsaKeyPair::from_pkcs8(&der).map_err(|_| "an RSA key is not PKCS#8".into())
}

/// The public key's JWK members `n` and `e` (base64url, big-endian, no leading zero).
pub fn public_components(key: &RsaKeyPair) -> (String, String) {
    let public = key.public_key();
    (
        crypto::b64url(public.modulus().big_endian_without_leading_zero()),
        crypto::b64url(public.exponent().big_endian_without_leading_zero()),
    )
}

/// RSASSA-PKCS1-v1_5 with SHA-256 of `message` (a JWS signing input).
pub fn sign(key: &RsaKeyPair, message: &[u8]) -> Result<Vec<u8>, BoxError> {
    let mut signature = vec![0u8; key.public_modulus_len()];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    key.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature).map_err(|_| "RS256 signing failed")?;
    Ok(signature)
}
