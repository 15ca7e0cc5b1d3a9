//! Configuration: the editor's attach arguments and the secret.

pub mod attach;
pub mod secret;

pub use secret::Secret;
