//! The reference SDK's key traits for ed25519-dalek, from the shared `polyproto-sdk-adapter`,
//! under the names this test uses.

pub(crate) use polyproto_sdk_adapter::{
    SdkPrivateKey as Ed25519Key, SdkPublicKey as Ed25519Public, SdkSignature as Ed25519Sig,
};
