//! Stub while building.
