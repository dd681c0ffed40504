//! `/ws/notifications`: a signed-in user's live feed. On connect it sends what was missed since
//! `?after=<last seen id>` and the unread count; then every notification of theirs the moment
//! its transaction commits (heard through the database's commit feed, which a relay fills
//! from other processes) and every change of the unread count. Pings every 25 s keep proxies
//! from closing an idle socket. A client that drops reconnects with the last id it saw and
//! loses nothing: the database, not the socket, is the record.

use std::time::Duration;

use app::auth::server::Authenticated;
use axum::Router;
use axum::extract::ws::{Message, WebSocket};
use axum::extract::{Extension, Query, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::accounts::Caller;
use domain::db::Committed;
use domain::notifications::{InAppNotification, NotificationError};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::api::ApiError;
use crate::router::ServerState;

const PING_EVERY: Duration = Duration::from_secs(25);

pub fn routes() -> Router<ServerState> {
    Router::new().route("/ws/notifications", get(upgrade))
}

#[derive(Deserialize)]
struct Resume {
    /// The newest notification id the client has; what came after it is sent first.
    after: Option<i64>,
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
    Query(resume): Query<Resume>,
) -> Response {
    let Some(caller) = authenticated.0 else {
        return ApiError::new("unauthenticated", "sign in or send a valid Bearer token")
            .into_response();
    };
    ws.on_upgrade(move |socket| async move {
        if let Err(error) = serve(socket, &state, &caller, resume.after).await {
            tracing::debug!(user_id = caller.user_id, %error, "notification socket closed");
        }
    })
}

#[derive(Debug, thiserror::Error)]
enum LiveError {
    #[error("the client went away: {0}")]
    Socket(#[from] axum::Error),
    #[error(transparent)]
    Notifications(#[from] NotificationError),
}

async fn serve(
    mut socket: WebSocket,
    state: &ServerState,
    caller: &Caller,
    after: Option<i64>,
) -> Result<(), LiveError> {
    let notifications = &state.app.notifications;
    // Listening starts before the catch-up reads, so nothing committed in between is missed.
    let mut feed = state.app.db.feed().subscribe();
    let mut last = match after {
        Some(after) => after,
        None => notifications.newest_id(caller).await?,
    };
    last = send_since(&mut socket, state, caller, last).await?;
    send_unread(&mut socket, state, caller).await?;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            heard = feed.recv() => match heard {
                Ok(Committed::Notification { user_id, id }) if user_id == caller.user_id && id > last => {
                    last = send_since(&mut socket, state, caller, last).await?;
                    send_unread(&mut socket, state, caller).await?;
                }
                Ok(Committed::NotificationsRead { user_id }) if user_id == caller.user_id => {
                    send_unread(&mut socket, state, caller).await?;
                }
                Ok(_) => {}
                // Too far behind to hear everything: the database has it all.
                Err(RecvError::Lagged(_)) => {
                    last = send_since(&mut socket, state, caller, last).await?;
                    send_unread(&mut socket, state, caller).await?;
                }
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = ping.tick() => socket.send(Message::Ping(Vec::new().into())).await?,
            received = socket.recv() => match received {
                None | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Err(error)) => return Err(error.into()),
                // Pongs and anything a client says: the feed only speaks.
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Sends the caller's notifications after `last`, oldest first; answers the newest id sent.
async fn send_since(
    socket: &mut WebSocket,
    state: &ServerState,
    caller: &Caller,
    mut last: i64,
) -> Result<i64, LiveError> {
    let missed: Vec<InAppNotification> = state.app.notifications.since(caller, last).await?;
    for notification in missed {
        last = last.max(notification.id);
        let message = json!({ "type": "notification", "notification": notification });
        socket
            .send(Message::Text(message.to_string().into()))
            .await?;
    }
    Ok(last)
}

async fn send_unread(
    socket: &mut WebSocket,
    state: &ServerState,
    caller: &Caller,
) -> Result<(), LiveError> {
    let unread = state.app.notifications.unread_count(caller).await?;
    let message = json!({ "type": "unread", "count": unread });
    socket
        .send(Message::Text(message.to_string().into()))
        .await?;
    Ok(())
}
