//! Opening a server's console: what the page connects to, per provider.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;

/// How the customer reaches a server's screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsoleOpening {
    /// Connect the canvas to this WebSocket path (same origin; it carries a one-time ticket
    /// valid for 60 seconds, so ask again before each connection).
    Proxy { path: String },
    /// The provider's own web console, to open in a new tab.
    ProviderUrl { url: String },
}

/// Issues a one-time console ticket (or fetches the provider's console link) for the caller's
/// server, or one an admin looks after. Errors (AppError codes): unauthenticated, not_found,
/// console_not_running, console_unavailable, console_sessions_exhausted.
#[server(endpoint = "console/open")]
pub async fn open_console(id: i64) -> Result<ConsoleOpening, AppError> {
    use crate::auth::server::{caller, client, fail, state};
    use domain::console::Opening;
    let opening = state()?
        .consoles
        .open(&caller()?, id, &client().ip)
        .await
        .map_err(fail)?;
    Ok(match opening {
        Opening::Ticket { ticket, .. } => ConsoleOpening::Proxy {
            path: format!("/ws/console/{id}?ticket={ticket}"),
        },
        Opening::ProviderUrl { url } => ConsoleOpening::ProviderUrl { url },
    })
}
