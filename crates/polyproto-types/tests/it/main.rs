//! polyproto-types' integration tests, linked into one binary: the golden vectors, round
//! trips, parser properties, KeyPackage validation, and interop with openssl and the reference
//! SDK.

mod common;
mod fixtures;

mod key_package;
mod openssl;
mod properties;
mod reference_sdk;
mod roundtrip;
mod vectors;
