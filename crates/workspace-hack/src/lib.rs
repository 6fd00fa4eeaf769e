//! Empty: this crate exists for its dependency list, which `cargo hakari generate` writes so
//! that every cargo command in the workspace resolves each dependency with the same features
//! (docs/architecture.md, "One build").
