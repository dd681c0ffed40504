//! What every handler shares: the domain state, Leptos's options and how we are reached.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRef;
use domain::AppState;
use leptos::config::LeptosOptions;

/// The close code of a socket whose session ended (log-out, "log out everywhere", a password
/// change, suspension): the page says so and asks for a new log-in instead of reconnecting.
pub const CLOSE_SIGNED_OUT: u16 = 4401;

/// How often sockets re-check their session, unless a test asks for less.
pub const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(15);

/// What the router's handlers share: Leptos's own options, the domain state and web settings.
#[derive(Clone, Debug, FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    pub web: WebSettings,
    pub lifecycle: Lifecycle,
}

/// Whether this process has been asked to stop. While it drains, `/readyz` answers 503 so load
/// balancers send new requests to other nodes; requests that still reach it are served.
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    draining: Arc<AtomicBool>,
}

impl Lifecycle {
    pub fn begin_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

/// How we are reached from outside.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// The origin people use, e.g. `https://webrana.id`; cookie-authenticated writes must come
    /// from it (or from the host they were sent to).
    pub public_url: String,
    /// `Secure` cookies and HSTS, when served over https.
    pub secure_cookies: bool,
    /// A console without keyboard or mouse input for this long is closed.
    pub console_idle: std::time::Duration,
    /// How often an open socket (console, notifications) checks that its session is still
    /// open, and closes with [`CLOSE_SIGNED_OUT`] once it is not.
    pub session_recheck: std::time::Duration,
    /// Where customers write to us, shown on the contact page.
    pub support_email: String,
    /// Our reverse proxies: a request from one of them comes from the address it forwards.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}
