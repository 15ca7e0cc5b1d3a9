//! Configuration: the editor's attach arguments and the secret.

pub mod attach;
pub mod debug_options;
pub mod secret;
pub mod web_debug_config;

pub use secret::Secret;
