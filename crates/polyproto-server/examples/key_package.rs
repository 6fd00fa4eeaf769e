//! Prints one MLS KeyPackage (base64 of the MLSMessage, as the KeyPackage routes take it) for
//! an Ed25519 session key in PKCS #8 PEM (as `openssl genpkey -algorithm ed25519` writes it).
//!
//! ```sh
//! cargo run -q -p polyproto-server --example key_package -- \
//!     laptop.key alice@localhost [--last-resort]
//! ```
//!
//! A real client keeps the private keys it generates (openmls does so in its storage
//! provider); this example discards them, so the packages it prints can be uploaded and claimed
//! but not joined with.

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use polyproto_test_support::key_packages::TestKeyPackage;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key_file, fid, rest @ ..] = args.as_slice() else {
        return Err("usage: key_package KEY.pem FEDERATION_ID [--last-resort]".to_owned());
    };
    let pem = std::fs::read_to_string(key_file).map_err(|e| format!("{key_file}: {e}"))?;
    let key = SigningKey::from_pkcs8_pem(&pem)
        .map_err(|e| format!("{key_file}: not an Ed25519 PKCS #8 key: {e}"))?;
    let mut package = TestKeyPackage::basic(&key, fid);
    package.last_resort = rest.iter().any(|a| a == "--last-resort");
    println!(
        "{}",
        base64::engine::general_purpose::STANDARD.encode(package.build())
    );
    Ok(())
}
