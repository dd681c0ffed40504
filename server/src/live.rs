//! `/ws/notifications`: a signed-in user's live feed. On connect it sends what was missed since
//! `?after=<last seen id>` and the unread count; then every notification of theirs the moment
//! its transaction commits (heard through the database's commit feed, which a relay fills
//! from other processes) and every change of the unread count. Pings every 25 s keep proxies
//! from closing an idle socket. A client that drops reconnects with the last id it saw and
//! loses nothing: the database, not the socket, is the record.
//!
//! One dispatcher per process listens to the feed and hands each item only to the sockets of
//! the user it concerns, so a commit wakes one socket, not every socket the process holds.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{Extension, Query, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::caller::Caller;
use domain::db::{CommitFeed, Committed};
use domain::error::Code;
use domain::notifications::{InAppNotification, LATE_COMMIT_WINDOW, NotificationError, SINCE_PAGE};
use model::notifications::Notification;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::api::error::ApiError;
use crate::routes::{Routes, get};
use crate::session::SignedIn;
use crate::state::{CLOSE_SIGNED_OUT, ServerState};

const PING_EVERY: Duration = Duration::from_secs(25);
/// What one socket may have waiting. A socket this far behind is woken by what waits already
/// and reads the rest from the database, so dropping more loses nothing.
const WAITING_PER_SOCKET: usize = 16;
/// The feed only sends small JSON and hears pongs: buffers sized for that keep a process with
/// ten thousand sockets small.
const SOCKET_BUFFER: usize = 4 * 1024;
const LARGEST_CLIENT_MESSAGE: usize = 4 * 1024;
/// Feeds one user may have open on one server process: a browser tab each, and more than
/// anyone keeps open; past it a script is holding sockets, not a person.
pub const SOCKETS_PER_USER: usize = 20;

pub fn routes(state: &ServerState) -> Routes {
    Routes::new()
        .route("/ws/notifications", get(upgrade))
        .layer(Extension(Sockets::new(state.app.db.feed().clone())))
}

#[derive(Deserialize)]
struct Resume {
    /// The newest notification id the client has; what came after it is sent first.
    after: Option<i64>,
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<ServerState>,
    Extension(sockets): Extension<Sockets>,
    SignedIn(caller): SignedIn,
    Query(resume): Query<Resume>,
) -> Response {
    // Joined before the upgrade (and so before the catch-up reads, so nothing committed in
    // between is missed); counted and joined under one lock, so the cap holds at any speed.
    let Some(membership) = sockets.join(caller.user_id) else {
        return ApiError::new(
            Code::RateLimited,
            "too many open notification feeds; close some of your tabs",
        )
        .into_response();
    };
    ws.read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .max_message_size(LARGEST_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            if let Err(error) = serve(socket, &state, &caller, membership, resume.after).await {
                tracing::debug!(user_id = caller.user_id, %error, "notification socket closed");
            }
        })
}

/// What the dispatcher tells one socket.
#[derive(Clone, Copy, Debug)]
enum Heard {
    Notification {
        id: i64,
    },
    Read,
    /// The dispatcher fell behind the feed: read everything from the database.
    CatchUp,
}

/// The sockets this process holds, by user, and the dispatcher that feeds them.
#[derive(Clone)]
struct Sockets {
    feed: CommitFeed,
    registry: Arc<Mutex<Registry>>,
    dispatcher: Arc<OnceLock<()>>,
}

#[derive(Default)]
struct Registry {
    next_socket: u64,
    by_user: HashMap<i64, Vec<(u64, mpsc::Sender<Heard>)>>,
}

/// A socket's place in the registry; leaving it (drop) removes the socket.
struct Membership {
    heard: mpsc::Receiver<Heard>,
    user_id: i64,
    socket: u64,
    registry: Arc<Mutex<Registry>>,
}

impl Sockets {
    fn new(feed: CommitFeed) -> Self {
        Self {
            feed,
            registry: Arc::default(),
            dispatcher: Arc::default(),
        }
    }

    /// Adds a socket of `user_id`'s, unless they have [`SOCKETS_PER_USER`] already.
    fn join(&self, user_id: i64) -> Option<Membership> {
        // Started by the first socket, so it runs on the server's runtime.
        self.dispatcher.get_or_init(|| {
            drop(tokio::spawn(dispatch(
                self.feed.subscribe(),
                self.registry.clone(),
            )))
        });
        let (sender, heard) = mpsc::channel(WAITING_PER_SOCKET);
        let mut registry = lock(&self.registry);
        registry.next_socket += 1;
        let socket = registry.next_socket;
        let users_sockets = registry.by_user.entry(user_id).or_default();
        if users_sockets.len() >= SOCKETS_PER_USER {
            return None;
        }
        users_sockets.push((socket, sender));
        metrics::gauge!("notification_sockets_open").increment(1);
        Some(Membership {
            heard,
            user_id,
            socket,
            registry: self.registry.clone(),
        })
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        metrics::gauge!("notification_sockets_open").decrement(1);
        let mut registry = lock(&self.registry);
        if let Some(sockets) = registry.by_user.get_mut(&self.user_id) {
            sockets.retain(|(socket, _)| *socket != self.socket);
            if sockets.is_empty() {
                registry.by_user.remove(&self.user_id);
            }
        }
    }
}

/// The registry is only held to look up or change a vector: a panic while held cannot leave
/// it half-changed in a way that matters, so a poisoned lock is used as it is.
fn lock(registry: &Mutex<Registry>) -> std::sync::MutexGuard<'_, Registry> {
    registry
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn dispatch(
    mut feed: tokio::sync::broadcast::Receiver<Committed>,
    registry: Arc<Mutex<Registry>>,
) {
    loop {
        let (user_id, heard) = match feed.recv().await {
            Ok(Committed::Notification { user_id, id }) => {
                (Some(user_id), Heard::Notification { id })
            }
            Ok(Committed::NotificationsRead { user_id }) => (Some(user_id), Heard::Read),
            Err(RecvError::Lagged(_)) => (None, Heard::CatchUp),
            Err(RecvError::Closed) => return,
        };
        let registry = lock(&registry);
        match user_id {
            Some(user_id) => wake(registry.by_user.get(&user_id).into_iter().flatten(), heard),
            None => wake(registry.by_user.values().flatten(), heard),
        }
    }
}

fn wake<'a>(sockets: impl Iterator<Item = &'a (u64, mpsc::Sender<Heard>)>, heard: Heard) {
    for (_, socket) in sockets {
        // Full means the socket has wake-ups waiting already; each reads all it missed.
        let _ = socket.try_send(heard);
    }
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
    mut membership: Membership,
    after: Option<i64>,
) -> Result<(), LiveError> {
    let notifications = &state.app.notifications;
    let mut sent = Sent {
        newest: match after {
            Some(after) => after,
            None => notifications.newest_id(caller).await?,
        },
        recently: BTreeMap::new(),
    };
    send_late(&mut socket, state, caller, &mut sent).await?;
    send_newer(&mut socket, state, caller, &mut sent).await?;
    send_unread(&mut socket, state, caller).await?;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut recheck = tokio::time::interval(state.web.session_recheck);
    recheck.tick().await;
    loop {
        tokio::select! {
            // Only a definite "no" ends the feed: a database hiccup does not.
            _ = recheck.tick() => if let Ok(false) = state.app.accounts.session_open(caller).await {
                let ended = CloseFrame { code: CLOSE_SIGNED_OUT, reason: "signed out".into() };
                socket.send(Message::Close(Some(ended))).await?;
                return Ok(());
            },
            heard = membership.heard.recv() => match heard {
                Some(Heard::Notification { id }) if sent.recently.contains_key(&id) => {}
                // In order, as nearly always: nothing to look back for.
                Some(Heard::Notification { id }) if id > sent.newest => {
                    send_newer(&mut socket, state, caller, &mut sent).await?;
                    send_unread(&mut socket, state, caller).await?;
                }
                Some(Heard::Notification { .. } | Heard::CatchUp) => {
                    send_late(&mut socket, state, caller, &mut sent).await?;
                    send_newer(&mut socket, state, caller, &mut sent).await?;
                    send_unread(&mut socket, state, caller).await?;
                }
                Some(Heard::Read) => send_unread(&mut socket, state, caller).await?,
                None => return Ok(()),
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

/// What a feed has sent: the newest id, and every id of the last [`LATE_COMMIT_WINDOW`] with
/// when it was created, so one that commits late is sent once.
struct Sent {
    newest: i64,
    recently: BTreeMap<i64, DateTime<Utc>>,
}

/// Sends the caller's notifications of the last [`LATE_COMMIT_WINDOW`] below the newest the
/// feed sent that it has not sent: they committed after a newer one. Needed on connect (a
/// client that reconnects may get some it has again, and keeps each once), after a catch-up,
/// and when an id below the newest is heard.
async fn send_late(
    socket: &mut WebSocket,
    state: &ServerState,
    caller: &Caller,
    sent: &mut Sent,
) -> Result<(), LiveError> {
    let window_start = Utc::now() - LATE_COMMIT_WINDOW;
    sent.recently.retain(|_, created| *created >= window_start);
    let late = state
        .app
        .notifications
        .created_since(caller, window_start)
        .await?;
    for notification in late {
        if notification.id < sent.newest && !sent.recently.contains_key(&notification.id) {
            send(socket, sent, notification).await?;
        }
    }
    Ok(())
}

/// Sends the caller's notifications after the newest the feed sent, oldest first.
async fn send_newer(
    socket: &mut WebSocket,
    state: &ServerState,
    caller: &Caller,
    sent: &mut Sent,
) -> Result<(), LiveError> {
    loop {
        let page = state.app.notifications.since(caller, sent.newest).await?;
        let whole_page = page.len() == SINCE_PAGE;
        for notification in page {
            send(socket, sent, notification).await?;
        }
        if !whole_page {
            return Ok(());
        }
    }
}

async fn send(
    socket: &mut WebSocket,
    sent: &mut Sent,
    notification: InAppNotification,
) -> Result<(), LiveError> {
    sent.newest = sent.newest.max(notification.id);
    sent.recently
        .insert(notification.id, notification.created_at);
    let notification = Notification::from(notification);
    let message = json!({ "type": "notification", "notification": notification });
    socket
        .send(Message::Text(message.to_string().into()))
        .await?;
    Ok(())
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
