//! The vocabulary both sides of Webrana Cloud speak. The browser (wasm32) and the server
//! (native) compile this same crate, so an id, a status or an amount means one thing from the
//! database to the page: no copies to keep in step, no statuses travelling as bare strings.
//!
//! Nothing here does I/O or knows about Leptos, axum or sqlx.

pub mod error;
pub mod ids;
pub mod language;
pub mod money;
pub mod status;

pub use ids::*;
pub use language::Language;
pub use money::Rupiah;
