//! `GET /ws/console/{instance}?ticket=…`: the browser console's WebSocket, bridged to the
//! server's VNC endpoint. It opens for the signed-in user (session cookie or bearer token) the
//! one-time ticket was issued to, from the address it was issued to.
//!
//! The proxy ends the RFB security handshake on both sides: it authenticates to the VNC server
//! with the password only we know, and plays the server towards the browser with security type
//! None (`rfb::server::Handshake`), so the password never leaves this process. It passes the
//! ClientInit on as shared, whatever the browser asked, and after it relays bytes both ways
//! untouched, following the browser's messages (`rfb::server::ClientMessages`) only to tell
//! input from a viewer's own requests. Pings every 20 s keep reverse proxies from dropping a
//! quiet console (close code 1006); a console without keyboard, mouse or paste input for the
//! idle timeout is closed (4408); a browser's close frame is answered; every session is
//! recorded with its traffic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::Instrument;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use domain::accounts::request::Authenticated;
use domain::console::{ConsoleSession, Consoles, SESSION_HEARTBEAT, Traffic, VncTarget};
use domain::error::Code;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use rfb::Version;
use rfb::server::{ClientInit, ClientMessage, ClientMessages, Handshake, Security};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;

use crate::api::error::ApiError;
use crate::routes::{Routes, get};
use crate::session::Client;
use crate::state::{CLOSE_SIGNED_OUT, ServerState};

const PING_EVERY: Duration = Duration::from_secs(20);
/// Connecting to and authenticating with the VNC server.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// What one read from the VNC server may carry into one WebSocket frame.
const RELAY_CHUNK: usize = 64 * 1024;
/// The largest frame a browser may send: input messages are bytes long, a paste a few KiB.
const LARGEST_CLIENT_MESSAGE: usize = 256 * 1024;

/// The WebSocket subprotocol noVNC 1.0/1.1 and Proxmox's noVNC always ask for (and
/// websockify and QEMU echo). A browser aborts an upgrade that does not echo what it asked for.
const SUBPROTOCOL: &str = "binary";

/// Close codes the console page explains.
pub const CLOSE_IDLE: u16 = 4408;
pub const CLOSE_PROTOCOL: u16 = 4400;

pub fn routes() -> Routes {
    Routes::new().route("/ws/console/{instance}", get(upgrade))
}

#[derive(Deserialize)]
struct TicketQuery {
    ticket: String,
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<ServerState>,
    Path(instance): Path<i64>,
    Query(query): Query<TicketQuery>,
    Client(client): Client,
    Extension(authenticated): Extension<Authenticated>,
) -> Response {
    let consoles = &state.app.consoles;
    // The ticket alone is not enough: the page's own session must present it. A ticket shown
    // without one has reached someone it was not given to, so it is used up all the same.
    let Some(caller) = authenticated.0 else {
        if let Err(error) = consoles.spend(&query.ticket).await {
            tracing::error!(%error, "console ticket presented without a session not used up");
        }
        return ApiError::new(Code::Unauthenticated, "sign in to use the console").into_response();
    };
    let session = match consoles
        .redeem(&caller, &query.ticket, instance, &client.ip)
        .await
    {
        Ok(session) => session,
        Err(error) => return ApiError::from(error).into_response(),
    };
    // The VNC side is ready before the upgrade, so a dead endpoint is an HTTP error the page
    // can show rather than a socket that opens and drops.
    let server = match tokio::time::timeout(HANDSHAKE_TIMEOUT, authenticate(&session.target)).await
    {
        Ok(Ok(server)) => server,
        Ok(Err(error)) => return unreachable(&state, &session, &error.to_string()).await,
        Err(_) => return unreachable(&state, &session, "no answer in time").await,
    };
    let idle = state.web.console_idle;
    // The whole session is one span (a transaction with Sentry on): how long people stay.
    let span = tracing::info_span!(
        "console.session",
        session = session.id,
        instance_id = session.instance_id,
        user_id = session.user_id,
        sentry.op = "console.session",
    );
    ws.protocols([SUBPROTOCOL])
        .max_message_size(LARGEST_CLIENT_MESSAGE)
        .on_upgrade(move |socket| {
            async move {
            let consoles = &state.app.consoles;
            let counter = TrafficCounter::default();
            let _open = OpenConsole::counted();
            let reason = {
                let (sign_out, signed_out) = tokio::sync::oneshot::channel::<()>();
                let mut sign_out = Some(sign_out);
                let relay = relay(socket, server, idle, &counter, async move {
                    let _ = signed_out.await;
                });
                tokio::pin!(relay);
                let mut heartbeat = tokio::time::interval(SESSION_HEARTBEAT);
                heartbeat.tick().await;
                let mut recheck = tokio::time::interval(state.web.session_recheck);
                recheck.tick().await;
                loop {
                    tokio::select! {
                        reason = &mut relay => break reason,
                        _ = heartbeat.tick() => {
                            if let Err(error) = consoles.heartbeat(session.id, counter.snapshot()).await {
                                tracing::warn!(session = session.id, %error, "console heartbeat not recorded");
                            }
                        }
                        _ = recheck.tick(), if sign_out.is_some() => {
                            // Only a definite "no" ends the console: a database hiccup does not.
                            if let Ok(false) = state.app.accounts.session_open(&caller).await
                                && let Some(sign_out) = sign_out.take()
                            {
                                let _ = sign_out.send(());
                            }
                        }
                    }
                }
            };
            let traffic = counter.snapshot();
            tracing::info!(
                session = session.id,
                user_id = session.user_id,
                instance = session.instance_id,
                to_client = traffic.to_client,
                to_server = traffic.to_server,
                reason,
                "console session ended"
            );
            record_end(consoles, session.id, traffic, reason).await;
            }
            .instrument(span)
        })
}

async fn record_end(consoles: &Consoles, session_id: i64, traffic: Traffic, reason: &str) {
    if let Err(error) = consoles.close(session_id, traffic, reason).await {
        tracing::error!(session = session_id, %error, "console session not recorded as closed");
    }
}

async fn unreachable(state: &ServerState, session: &ConsoleSession, why: &str) -> Response {
    tracing::warn!(session = session.id, instance = session.instance_id, target = ?session.target, why, "console endpoint unreachable");
    let reason = format!("unreachable: {why}");
    record_end(&state.app.consoles, session.id, Traffic::default(), &reason).await;
    ApiError::new(
        Code::ConsoleUnreachable,
        "the server's screen cannot be reached right now; try again in a moment",
    )
    .into_response()
}

#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("cannot connect: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a VNC server we can speak to: {0}")]
    NotRfb(#[from] rfb::Error),
    #[error("the VNC server refused us: {0}")]
    Refused(String),
    #[error("the VNC server offers no security type we can use ({0:?})")]
    NoUsableSecurity(Vec<u8>),
}

/// Connects to a VNC server and completes version and security as a client, leaving the
/// stream where the ClientInit is due.
pub async fn authenticate(target: &VncTarget) -> Result<TcpStream, HandshakeError> {
    let mut stream = TcpStream::connect((target.host.as_str(), target.port)).await?;
    stream.set_nodelay(true)?;
    let mut greeting = [0u8; 12];
    stream.read_exact(&mut greeting).await?;
    let version = Version::from_wire(&greeting)?;
    stream.write_all(version.to_wire()).await?;
    let chosen = if version == Version::V3_3 {
        let chosen = stream.read_u32().await?;
        if chosen == 0 {
            return Err(HandshakeError::Refused(read_reason(&mut stream).await?));
        }
        u8::try_from(chosen).map_err(|_| HandshakeError::NoUsableSecurity(Vec::new()))?
    } else {
        let count = stream.read_u8().await?;
        if count == 0 {
            return Err(HandshakeError::Refused(read_reason(&mut stream).await?));
        }
        let mut offered = vec![0u8; usize::from(count)];
        stream.read_exact(&mut offered).await?;
        let wanted: &[u8] = if target.password.is_some() {
            &[2, 1]
        } else {
            &[1]
        };
        let chosen = wanted
            .iter()
            .copied()
            .find(|kind| offered.contains(kind))
            .ok_or(HandshakeError::NoUsableSecurity(offered))?;
        stream.write_u8(chosen).await?;
        chosen
    };
    match chosen {
        1 => {}
        2 => {
            let mut challenge = [0u8; 16];
            stream.read_exact(&mut challenge).await?;
            let password = rfb::Password::new(target.password.clone().unwrap_or_default());
            stream
                .write_all(&rfb::challenge_response(&password, &challenge))
                .await?;
        }
        other => return Err(HandshakeError::NoUsableSecurity(vec![other])),
    }
    // 3.3 and 3.7 send no result after None; every version sends one after VNC Authentication.
    if (version == Version::V3_8 || chosen == 2) && stream.read_u32().await? != 0 {
        let reason = if version == Version::V3_8 {
            read_reason(&mut stream).await?
        } else {
            "authentication failed".to_owned()
        };
        return Err(HandshakeError::Refused(reason));
    }
    Ok(stream)
}

async fn read_reason(stream: &mut (impl AsyncRead + Unpin)) -> std::io::Result<String> {
    let length = stream.read_u32().await?.min(1024);
    let mut reason = vec![0u8; length as usize];
    stream.read_exact(&mut reason).await?;
    Ok(String::from_utf8_lossy(&reason).into_owned())
}

/// Follows the message boundaries of what the browser sends the VNC server, to tell input
/// (keys, pointer, paste) from what a viewer sends on its own (update requests after every
/// update, fences, capabilities). A message it cannot parse makes it stop following and
/// count everything as input, which at worst keeps an idle console open.
#[derive(Default)]
struct InputWatch {
    messages: ClientMessages,
    lost: bool,
    /// A clipboard message longer than [`LARGEST_PASTE`] came: the console is to close.
    oversized_paste: bool,
}

/// The longest clipboard text a browser may send the server's screen. Our page types pastes
/// as keys (at most 4096 characters); other viewers send the clipboard itself, and a guest
/// has no use for megabytes of it, nor should the screen's server be made to hold them.
pub const LARGEST_PASTE: u32 = 64 * 1024;

impl InputWatch {
    /// Whether these bytes hold user input.
    fn saw_input(&mut self, bytes: &[u8]) -> bool {
        if self.lost {
            return true;
        }
        self.messages.feed(bytes);
        let mut input = false;
        loop {
            match self.messages.next_message() {
                Ok(Some(
                    ClientMessage::CutText { length }
                    | ClientMessage::ExtendedClipboard { length, .. },
                )) if length > LARGEST_PASTE => {
                    self.oversized_paste = true;
                    return true;
                }
                Ok(Some(message)) => input |= message.is_user_input(),
                Ok(None) => return input,
                Err(error) => {
                    tracing::debug!(%error, "console: no longer following the browser's messages");
                    self.lost = true;
                    return true;
                }
            }
        }
    }
}

/// What a console has moved so far, read by the task that records the session while the
/// relay runs.
#[derive(Debug, Default)]
pub struct TrafficCounter {
    to_client: AtomicU64,
    to_server: AtomicU64,
}

impl TrafficCounter {
    pub fn snapshot(&self) -> Traffic {
        Traffic {
            to_client: self.to_client.load(Ordering::Relaxed),
            to_server: self.to_server.load(Ordering::Relaxed),
        }
    }
}

/// Runs one console over a VNC connection that [`authenticate`] made: the browser's
/// handshake, then bytes both ways until either side ends, counted in `traffic`. Answers why
/// it ended. The console closes with [`CLOSE_SIGNED_OUT`] when `signed_out` completes.
pub async fn relay(
    mut socket: WebSocket,
    server: TcpStream,
    idle: Duration,
    traffic: &TrafficCounter,
    signed_out: impl Future<Output = ()>,
) -> &'static str {
    let client_init =
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, browser_handshake(&mut socket)).await {
            Ok(Ok(client_init)) => client_init,
            Ok(Err(Ended::Quietly(reason))) => return reason,
            Ok(Err(Ended::Closing(message, reason))) => {
                finish(&mut socket, message).await;
                return reason;
            }
            Err(_) => {
                let _ = socket
                    .send(close(CLOSE_PROTOCOL, "no handshake in time"))
                    .await;
                return "no handshake in time";
            }
        };
    let (from_server, mut to_server) = server.into_split();
    let (sink, mut from_browser) = socket.split();
    // The screen streams to the browser in a future of its own, so a slow browser never holds
    // up its keys on the way to the server, and the next read overlaps the last send.
    let (control, controls) = tokio::sync::mpsc::channel(4);
    let downstream = stream_screen(from_server, sink, controls, traffic);
    tokio::pin!(downstream);
    let mut watch = InputWatch::default();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let idle_deadline = tokio::time::sleep(idle);
    tokio::pin!(idle_deadline);
    tokio::pin!(signed_out);
    // What the browser sent with its ClientInit starts its messages; the deadline was just set.
    watch.saw_input(&client_init.rest);
    let mut pending = Some(shared_client_init(client_init));
    let (farewell, reason) = loop {
        if watch.oversized_paste {
            let reason = "paste too large";
            break (close(CLOSE_PROTOCOL, reason), reason);
        }
        if let Some(bytes) = pending.take() {
            traffic
                .to_server
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            if to_server.write_all(&bytes).await.is_err() {
                let reason = "the server closed the console";
                break (close(1000, reason), reason);
            }
        }
        tokio::select! {
            ended = &mut downstream => return ended,
            message = from_browser.next() => match message {
                Some(Ok(Message::Binary(bytes))) => {
                    if watch.saw_input(&bytes) {
                        idle_deadline.as_mut().reset(tokio::time::Instant::now() + idle);
                    }
                    // Checked at the top of the loop before anything is sent: an oversized
                    // paste is never passed on.
                    pending = Some(bytes);
                }
                // Answered (see `finish`): dropping TCP instead shows the browser 1006.
                Some(Ok(Message::Close(_))) => break (Message::Close(None), "closed by the browser"),
                None | Some(Err(_)) => return "closed by the browser",
                Some(Ok(Message::Text(_))) => {
                    let reason = "the console speaks binary frames only";
                    break (close(CLOSE_PROTOCOL, reason), reason);
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            },
            _ = ping.tick() => {
                if control.send(Message::Ping(Bytes::new())).await.is_err() {
                    return "browser gone";
                }
            }
            _ = &mut idle_deadline => break (close(CLOSE_IDLE, "idle timeout"), "idle timeout"),
            () = &mut signed_out => break (close(CLOSE_SIGNED_OUT, "signed out"), "signed out"),
        }
    };
    // The close frame goes out behind whatever the screen has queued; then both ends drop.
    if control.send(farewell).await.is_ok() {
        let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, downstream).await;
    }
    reason
}

/// The ClientInit passed on to the VNC server, and what the browser sent after it. Always
/// shared, whatever the browser asked: QEMU gives a viewer that asks for exclusive access the
/// screen by disconnecting every other viewer (another tab, a colleague, support).
fn shared_client_init(client_init: ClientInit) -> Bytes {
    let mut bytes = Vec::with_capacity(1 + client_init.rest.len());
    bytes.push(1);
    bytes.extend_from_slice(&client_init.rest);
    bytes.into()
}

/// How a console ended before it got going: with a close frame to send, or not.
enum Ended {
    Quietly(&'static str),
    Closing(Message, &'static str),
}

/// Sends a close frame and flushes. After the browser's own close frame the send is refused
/// (tungstenite has queued the answer, with the browser's code, itself); the flush of `close`
/// is what sends that answer.
async fn finish<S>(sink: &mut S, message: Message)
where
    S: futures_util::Sink<Message> + Unpin,
{
    let _ = sink.send(message).await;
    let _ = sink.close().await;
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Plays the server towards the browser until its ClientInit, which it answers with what
/// came after.
async fn browser_handshake(socket: &mut WebSocket) -> Result<ClientInit, Ended> {
    let mut handshake = Handshake::new(Security::None);
    let mut received = Bytes::new();
    loop {
        let result = handshake.feed(&received);
        // Sent even after a refusal: in 3.8 it carries the reason the browser shows.
        let reply = handshake.take_outgoing();
        if !reply.is_empty() && socket.send(Message::Binary(reply.into())).await.is_err() {
            return Err(Ended::Quietly("browser gone"));
        }
        match result {
            Ok(Some(client_init)) => return Ok(client_init),
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(%error, "console: the browser's RFB handshake failed");
                let reason = "the browser's RFB handshake failed";
                return Err(Ended::Closing(close(CLOSE_PROTOCOL, reason), reason));
            }
        }
        received = loop {
            match socket.recv().await {
                Some(Ok(Message::Binary(bytes))) => break bytes,
                Some(Ok(Message::Close(_))) => {
                    return Err(Ended::Closing(
                        Message::Close(None),
                        "closed by the browser",
                    ));
                }
                None | Some(Err(_)) => return Err(Ended::Quietly("closed by the browser")),
                Some(Ok(Message::Text(_))) => {
                    let reason = "the console speaks binary frames only";
                    return Err(Ended::Closing(close(CLOSE_PROTOCOL, reason), reason));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            }
        };
    }
}

/// Sends the VNC server's bytes to the browser as they come (each read handed over without a
/// copy), and the pings and close frame `controls` brings. Ends when either side is gone or a
/// close frame went out.
async fn stream_screen(
    mut from_server: OwnedReadHalf,
    mut sink: SplitSink<WebSocket, Message>,
    mut controls: tokio::sync::mpsc::Receiver<Message>,
    traffic: &TrafficCounter,
) -> &'static str {
    let mut buffer = BytesMut::with_capacity(RELAY_CHUNK);
    loop {
        if buffer.capacity() < RELAY_CHUNK / 4 {
            buffer.reserve(RELAY_CHUNK);
        }
        tokio::select! {
            read = from_server.read_buf(&mut buffer) => match read {
                Ok(0) | Err(_) => {
                    let reason = "the server closed the console";
                    let _ = sink.send(close(1000, reason)).await;
                    return reason;
                }
                Ok(n) => {
                    traffic.to_client.fetch_add(n as u64, Ordering::Relaxed);
                    let chunk = buffer.split().freeze();
                    if sink.send(Message::Binary(chunk)).await.is_err() {
                        return "browser gone";
                    }
                }
            },
            control = controls.recv() => match control {
                Some(message @ Message::Close(_)) => {
                    finish(&mut sink, message).await;
                    return "closed";
                }
                Some(message) => {
                    if sink.send(message).await.is_err() {
                        return "browser gone";
                    }
                }
                None => return "closed",
            },
        }
    }
}

/// An open console session, counted in `console_sessions_open` while it lives.
struct OpenConsole;

impl OpenConsole {
    fn counted() -> Self {
        metrics::gauge!("console_sessions_open").increment(1);
        Self
    }
}

impl Drop for OpenConsole {
    fn drop(&mut self) {
        metrics::gauge!("console_sessions_open").decrement(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_requests_are_not_input_but_keys_pointer_and_paste_are() {
        let mut watch = InputWatch::default();
        let request = [3, 1, 0, 0, 0, 0, 2, 128, 1, 144];
        assert!(!watch.saw_input(&request));
        let mut encodings = vec![2, 0, 0, 2];
        encodings.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        assert!(!watch.saw_input(&encodings));
        // A key event split across two frames counts when it is whole.
        assert!(!watch.saw_input(&[4, 1, 0, 0]));
        assert!(watch.saw_input(&[0, 0, 0, 0x61]));
        assert!(watch.saw_input(&[5, 0, 0, 10, 0, 20]));
        let mut paste = vec![6, 0, 0, 0, 0, 0, 0, 2];
        paste.extend_from_slice(b"hi");
        assert!(watch.saw_input(&paste));
        assert!(!watch.saw_input(&request));
    }

    #[test]
    fn a_paste_over_the_limit_is_caught_from_its_header() {
        let mut watch = InputWatch::default();
        let mut paste = vec![6, 0, 0, 0];
        paste.extend_from_slice(&LARGEST_PASTE.to_be_bytes());
        assert!(watch.saw_input(&paste));
        assert!(!watch.oversized_paste, "at the limit is allowed");
        let mut watch = InputWatch::default();
        let mut paste = vec![6, 0, 0, 0];
        paste.extend_from_slice(&(LARGEST_PASTE + 1).to_be_bytes());
        watch.saw_input(&paste);
        assert!(
            watch.oversized_paste,
            "announced, before a byte of it arrives"
        );
        // Extended Clipboard announces its size as a negative length.
        let mut watch = InputWatch::default();
        let mut extended = vec![6, 0, 0, 0];
        extended.extend_from_slice(&(-(i64::from(LARGEST_PASTE) + 5) as i32).to_be_bytes());
        extended.extend_from_slice(&(1u32 << 28 | 1).to_be_bytes());
        watch.saw_input(&extended);
        assert!(watch.oversized_paste);
    }

    #[test]
    fn an_unknown_message_makes_everything_count_as_input() {
        let mut watch = InputWatch::default();
        assert!(watch.saw_input(&[77, 1, 2]));
        assert!(watch.saw_input(&[3, 1, 0, 0, 0, 0, 2, 128, 1, 144]));
    }

    #[test]
    fn novnc_clipboard_capabilities_are_not_input_and_do_not_swallow_the_stream() {
        let mut watch = InputWatch::default();
        // Extended Clipboard caps, length -8: flags, then one size.
        let mut caps = vec![6, 0, 0, 0, 0xff, 0xff, 0xff, 0xf8];
        caps.extend_from_slice(&(1u32 << 24 | 1).to_be_bytes());
        caps.extend_from_slice(&[0, 0, 0x10, 0]);
        assert!(!watch.saw_input(&caps));
        assert!(!watch.saw_input(&[3, 1, 0, 0, 0, 0, 0, 1, 0, 1]));
        assert!(watch.saw_input(&[4, 1, 0, 0, 0, 0, 0, 0x61]));
    }

    #[test]
    fn the_client_init_goes_on_shared_with_what_followed_it() {
        let init = ClientInit {
            version: Version::V3_8,
            shared: false,
            rest: vec![3, 0],
        };
        assert_eq!(&shared_client_init(init)[..], [1, 3, 0]);
    }
}
