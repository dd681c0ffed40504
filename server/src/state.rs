//! What every handler shares: the domain state, Leptos's options and how we are reached.

use axum::extract::FromRef;
use domain::AppState;
use leptos::config::LeptosOptions;

/// What the router's handlers share: Leptos's own options, the domain state and web settings.
#[derive(Clone, Debug, FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    pub web: WebSettings,
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
    /// Where customers write to us, shown on the contact page.
    pub support_email: String,
}
