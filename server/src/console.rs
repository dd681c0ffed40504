//! `GET /ws/console/{instance}?ticket=…`: the browser console's WebSocket, bridged to the
//! server's VNC endpoint. It opens for the signed-in user (session cookie or bearer token) the
//! one-time ticket was issued to, from the address it was issued to.
//!
//! The proxy ends the RFB security handshake on both sides: it authenticates to the VNC server
//! with the password only we know, and offers the browser security type None, so the password
//! never leaves this process. After the ClientInit it relays bytes both ways untouched.
//! Pings every 20 s keep reverse proxies from dropping a quiet console (close code 1006); a
//! console without keyboard or mouse input for the idle timeout is closed (4408); every
//! session is recorded with its traffic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::BytesMut;
use domain::console::{ConsoleSession, Consoles, SESSION_HEARTBEAT, Traffic, VncTarget};
use domain::error::Code;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;

use crate::api::ApiError;
use crate::router::ServerState;
use crate::session::{Client, SignedIn};

const PING_EVERY: Duration = Duration::from_secs(20);
/// Connecting to and authenticating with the VNC server.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// What one read from the VNC server may carry into one WebSocket frame.
const RELAY_CHUNK: usize = 64 * 1024;
/// The largest frame a browser may send: input messages are bytes long, a paste a few KiB.
const LARGEST_CLIENT_MESSAGE: usize = 256 * 1024;

/// Close codes the console page explains.
pub const CLOSE_IDLE: u16 = 4408;
pub const CLOSE_PROTOCOL: u16 = 4400;

pub fn routes() -> Router<ServerState> {
    Router::new().route("/ws/console/{instance}", get(upgrade))
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
    // The ticket alone is not enough: the page's own session must present it.
    SignedIn(caller): SignedIn,
) -> Response {
    let consoles = &state.app.consoles;
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
    ws.max_message_size(LARGEST_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            let consoles = &state.app.consoles;
            let counter = TrafficCounter::default();
            let reason = {
                let relay = relay(socket, server, idle, &counter);
                tokio::pin!(relay);
                let mut heartbeat = tokio::time::interval(SESSION_HEARTBEAT);
                heartbeat.tick().await;
                loop {
                    tokio::select! {
                        reason = &mut relay => break reason,
                        _ = heartbeat.tick() => {
                            if let Err(error) = consoles.heartbeat(session.id, counter.snapshot()).await {
                                tracing::warn!(session = session.id, %error, "console heartbeat not recorded");
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
    #[error("not a VNC server (it greeted with {0:?})")]
    NotRfb(String),
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
    let minor = protocol_minor(&greeting)
        .ok_or_else(|| HandshakeError::NotRfb(String::from_utf8_lossy(&greeting).into_owned()))?;
    stream
        .write_all(format!("RFB 003.00{minor}\n").as_bytes())
        .await?;
    let chosen = if minor == 3 {
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
    if (minor == 8 || chosen == 2) && stream.read_u32().await? != 0 {
        let reason = if minor == 8 {
            read_reason(&mut stream).await?
        } else {
            "authentication failed".to_owned()
        };
        return Err(HandshakeError::Refused(reason));
    }
    Ok(stream)
}

/// The RFB 3.x version a greeting asks for, as the one we speak: 3, 7 or 8.
fn protocol_minor(greeting: &[u8; 12]) -> Option<u8> {
    let text = std::str::from_utf8(greeting).ok()?;
    let rest = text.strip_prefix("RFB 003.")?.strip_suffix('\n')?;
    // 3.4 and 3.6 are Apple's and UltraVNC's private numbers for 3.3 behaviour.
    Some(match rest.parse::<u32>().ok()? {
        0..=6 => 3,
        7 => 7,
        _ => 8,
    })
}

async fn read_reason(stream: &mut (impl AsyncRead + Unpin)) -> std::io::Result<String> {
    let length = stream.read_u32().await?.min(1024);
    let mut reason = vec![0u8; length as usize];
    stream.read_exact(&mut reason).await?;
    Ok(String::from_utf8_lossy(&reason).into_owned())
}

/// The browser's side of the handshake, with us as the server: RFB 3.8 (or 3.7/3.3 if the
/// browser asks), security None. Answers the ClientInit byte to pass on, or why it failed.
struct BrowserHandshake {
    buffered: Vec<u8>,
    step: Step,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Version,
    Security { minor: u8 },
    ClientInit,
}

impl BrowserHandshake {
    fn new() -> Self {
        Self {
            buffered: Vec::new(),
            step: Step::Version,
        }
    }

    /// Takes bytes from the browser; answers what to send back, and once the handshake is
    /// over, the ClientInit plus whatever came after it (already meant for the server).
    fn feed(&mut self, bytes: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), &'static str> {
        self.buffered.extend_from_slice(bytes);
        let mut reply = Vec::new();
        loop {
            match self.step {
                Step::Version if self.buffered.len() >= 12 => {
                    let greeting: [u8; 12] = self.buffered[..12]
                        .try_into()
                        .map_err(|_| "bad protocol version")?;
                    self.buffered.drain(..12);
                    let minor = protocol_minor(&greeting).ok_or("bad protocol version")?;
                    if minor == 3 {
                        reply.extend_from_slice(&1u32.to_be_bytes());
                        self.step = Step::ClientInit;
                    } else {
                        reply.extend_from_slice(&[1, 1]);
                        self.step = Step::Security { minor };
                    }
                }
                Step::Security { minor } if !self.buffered.is_empty() => {
                    if self.buffered.remove(0) != 1 {
                        return Err("only security type None is offered");
                    }
                    if minor == 8 {
                        reply.extend_from_slice(&0u32.to_be_bytes());
                    }
                    self.step = Step::ClientInit;
                }
                Step::ClientInit if !self.buffered.is_empty() => {
                    return Ok((reply, Some(std::mem::take(&mut self.buffered))));
                }
                _ => return Ok((reply, None)),
            }
        }
    }
}

/// Follows the message boundaries of what the browser sends the VNC server, to tell input
/// (keys, pointer, paste) from the update requests a viewer sends on its own. A message type
/// it does not know makes it stop following and count everything as input, which at worst
/// keeps an idle console open.
#[derive(Default)]
struct InputWatch {
    buffered: Vec<u8>,
    lost: bool,
}

impl InputWatch {
    /// Whether these bytes hold user input.
    fn saw_input(&mut self, bytes: &[u8]) -> bool {
        if self.lost {
            return true;
        }
        self.buffered.extend_from_slice(bytes);
        let mut input = false;
        while let Some(&kind) = self.buffered.first() {
            let length = match kind {
                0 => Some(20),
                2 => self.u16_at(2).map(|n| 4 + 4 * usize::from(n)),
                3 => Some(10),
                4 => Some(8),
                5 => Some(6),
                6 => self.u32_at(4).map(|n| 8 + n as usize),
                // EnableContinuousUpdates, Fence, SetDesktopSize, QEMU's extended key event.
                150 => Some(10),
                248 => self.buffered.get(8).map(|&n| 9 + usize::from(n)),
                251 => self.buffered.get(6).map(|&n| 8 + 16 * usize::from(n)),
                255 => match self.buffered.get(1) {
                    Some(0) => Some(12),
                    Some(_) => {
                        self.lost = true;
                        return true;
                    }
                    None => None,
                },
                _ => {
                    self.lost = true;
                    return true;
                }
            };
            let Some(length) = length.filter(|&length| self.buffered.len() >= length) else {
                break;
            };
            input |= matches!(kind, 4 | 5 | 6 | 255);
            self.buffered.drain(..length);
        }
        input
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let bytes = self.buffered.get(at..at + 2)?;
        Some(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let bytes = self.buffered.get(at..at + 4)?;
        Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
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
/// it ended.
pub async fn relay(
    mut socket: WebSocket,
    server: TcpStream,
    idle: Duration,
    traffic: &TrafficCounter,
) -> &'static str {
    let client_init =
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, browser_handshake(&mut socket)).await {
            Ok(Ok(client_init)) => client_init,
            Ok(Err(Ended::Quietly(reason))) => return reason,
            Ok(Err(Ended::Closing(code, reason))) => {
                let _ = socket.send(close(code, reason)).await;
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
    let mut pending = Some(client_init);
    let (code, reason) = loop {
        if let Some(bytes) = pending.take() {
            if watch.saw_input(&bytes) {
                idle_deadline
                    .as_mut()
                    .reset(tokio::time::Instant::now() + idle);
            }
            traffic
                .to_server
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            if to_server.write_all(&bytes).await.is_err() {
                break (1000, "the server closed the console");
            }
        }
        tokio::select! {
            ended = &mut downstream => return ended,
            message = from_browser.next() => match message {
                Some(Ok(Message::Binary(bytes))) => pending = Some(bytes),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return "closed by the browser",
                Some(Ok(Message::Text(_))) => break (CLOSE_PROTOCOL, "the console speaks binary frames only"),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            },
            _ = ping.tick() => {
                if control.send(Message::Ping(Bytes::new())).await.is_err() {
                    return "browser gone";
                }
            }
            _ = &mut idle_deadline => break (CLOSE_IDLE, "idle timeout"),
        }
    };
    // The close frame goes out behind whatever the screen has queued; then both ends drop.
    if control.send(close(code, reason)).await.is_ok() {
        let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, downstream).await;
    }
    reason
}

/// How a console ended before it got going: with a close frame to send, or not.
enum Ended {
    Quietly(&'static str),
    Closing(u16, &'static str),
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Plays the server towards the browser until its ClientInit; answers that and anything the
/// browser sent after it, all meant for the VNC server.
async fn browser_handshake(socket: &mut WebSocket) -> Result<Bytes, Ended> {
    let version = Message::Binary(Bytes::from_static(b"RFB 003.008\n"));
    if socket.send(version).await.is_err() {
        return Err(Ended::Quietly("browser gone"));
    }
    let mut browser = BrowserHandshake::new();
    loop {
        match socket.recv().await {
            Some(Ok(Message::Binary(bytes))) => match browser.feed(&bytes) {
                Ok((reply, done)) => {
                    if !reply.is_empty()
                        && socket.send(Message::Binary(reply.into())).await.is_err()
                    {
                        return Err(Ended::Quietly("browser gone"));
                    }
                    if let Some(done) = done {
                        return Ok(done.into());
                    }
                }
                Err(why) => return Err(Ended::Closing(CLOSE_PROTOCOL, why)),
            },
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                return Err(Ended::Quietly("closed by the browser"));
            }
            Some(Ok(Message::Text(_))) => {
                return Err(Ended::Closing(
                    CLOSE_PROTOCOL,
                    "the console speaks binary frames only",
                ));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
        }
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
                    let _ = sink.send(message).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_handshake_offers_none_and_hands_on_the_client_init() {
        let mut browser = BrowserHandshake::new();
        assert_eq!(browser.feed(b"RFB 003.0"), Ok((Vec::new(), None)));
        assert_eq!(browser.feed(b"08\n"), Ok((vec![1, 1], None)));
        assert_eq!(browser.feed(&[1]), Ok((vec![0, 0, 0, 0], None)));
        assert_eq!(
            browser.feed(&[1, 3, 1]),
            Ok((Vec::new(), Some(vec![1, 3, 1])))
        );
    }

    #[test]
    fn an_old_browser_client_is_told_the_security_type() {
        let mut browser = BrowserHandshake::new();
        assert_eq!(
            browser.feed(b"RFB 003.003\n\x01"),
            Ok((vec![0, 0, 0, 1], Some(vec![1])))
        );
        let mut browser = BrowserHandshake::new();
        assert_eq!(
            browser.feed(b"RFB 003.007\n\x01\x00"),
            Ok((vec![1, 1], Some(vec![0])))
        );
    }

    #[test]
    fn the_browser_cannot_pick_vnc_authentication_or_speak_another_protocol() {
        let mut browser = BrowserHandshake::new();
        assert!(browser.feed(b"RFB 003.008\n\x02").is_err());
        assert!(BrowserHandshake::new().feed(b"GET / HTTP/1.1\r\n").is_err());
    }

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
    fn an_unknown_message_makes_everything_count_as_input() {
        let mut watch = InputWatch::default();
        assert!(watch.saw_input(&[77, 1, 2]));
        assert!(watch.saw_input(&[3, 1, 0, 0, 0, 0, 2, 128, 1, 144]));
    }
}
