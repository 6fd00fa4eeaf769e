//! Seed S3, `PUT /.p2/core/v1/keypackage_lr`: replace the caller's session's last-resort
//! KeyPackage (seed `000_…`, "Replace Last Resort KeyPackage"; docs/wire-contract.md §1.1, §5.3). 204.

use super::{Auth, Method, Route};

/// The seed route S3.
pub const SEED: Route = Route {
    name: "replace_last_resort_key_package",
    method: Method::Put,
    path: "/.p2/core/v1/keypackage_lr",
    success: 204,
    auth: Auth::Bearer,
    seed: Some("S3"),
    spec: "seed 000 \"Replace Last Resort KeyPackage\"; docs/wire-contract.md §1.1, §5.3",
};

/// The request body: one base64 KeyPackage.
pub type Request = crate::key_package::KeyPackagePayload;
