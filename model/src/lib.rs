//! The vocabulary both sides of Webrana Cloud speak. The browser (wasm32) and the server
//! (native) compile this same crate, so an id, a status or an amount means one thing from the
//! database to the page: no copies to keep in step, no statuses travelling as bare strings.
//!
//! Nothing here does I/O or knows about Leptos, axum or sqlx.

pub mod accounts;
pub mod admin;
pub mod billing;
pub mod catalog;
pub mod error;
pub mod health;
pub mod ids;
pub mod inputs;
pub mod instances;
pub mod language;
pub mod money;
pub mod notifications;
pub mod orders;
pub mod ssh_keys;
pub mod status;
pub mod time;

pub use ids::*;
pub use language::Language;
pub use money::Rupiah;
