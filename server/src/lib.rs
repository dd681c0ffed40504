//! The Webrana Cloud server: configuration, HTTP router and start-up. `main.rs` only parses the
//! command line and calls in here, so tests start the very same application.

pub mod api;
pub mod config;
pub mod console;
pub mod error_tracking;
pub mod live;
pub mod metrics;
pub mod relay;
pub mod router;
pub mod routes;
pub mod security_headers;
pub mod seo;
pub mod session;
pub mod startup;
pub mod state;
pub mod telemetry;
