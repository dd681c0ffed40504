//! The built-in screen's RFB server: one listener per screen on loopback, speaking through the
//! `rfb` crate's server half. RFB 3.8 (3.3 and 3.7 answers are tolerated), security type 2
//! only, Raw encoding only, any 32-bit true-colour pixel format. Nothing a client sends is
//! trusted: every length is capped before it is used and anything outside the protocol closes
//! the connection.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rfb::server::{ClientInit, ClientMessage, ClientMessages, Handshake, Security, server_init};
use rfb::{PixelFormat, Rect};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::terminal::{HEIGHT, SCREEN, Seen, Terminal, WIDTH, clip, servable, union};

/// Viewers of one screen at once; more would only be someone hammering a loopback port.
const MAX_CONNECTIONS: usize = 8;
/// Clipboard text a client may send (it is read and thrown away).
const MAX_CUT_TEXT: u32 = 1024 * 1024;
/// A connection that has not authenticated by then is dropped, so idle sockets cannot hold
/// the connection slots.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pixels are sent in the format servers usually announce until the viewer picks its own.
const SERVER_FORMAT: PixelFormat = PixelFormat::BGRX;

/// One server's screen, shared by its listener and connections.
pub(super) struct Screen {
    password: rfb::Password,
    name: String,
    terminal: watch::Sender<Terminal>,
    /// Bumped when a viewer asks for the screen to itself (ClientInit not shared): every
    /// other connection then ends, as on QEMU's and every other VNC server.
    exclusive: watch::Sender<u64>,
}

impl Screen {
    pub(super) fn new(hostname: &str, password: &str) -> Self {
        let terminal = Terminal::new(hostname);
        Self {
            password: rfb::Password::new(password),
            name: format!("{} (Webrana sandbox)", terminal.hostname),
            terminal: watch::Sender::new(terminal),
            exclusive: watch::Sender::new(0),
        }
    }

    fn key(&self, keysym: u32) {
        self.terminal
            .send_if_modified(|terminal| terminal.key(keysym));
    }
}

pub(super) async fn listen(listener: TcpListener, screen: Arc<Screen>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next() => continue,
        };
        match accepted {
            Ok((stream, _)) => {
                while connections.try_join_next().is_some() {}
                if connections.len() >= MAX_CONNECTIONS {
                    tracing::debug!("sandbox screen: connection refused, too many viewers");
                    drop(stream);
                    continue;
                }
                let screen = Arc::clone(&screen);
                connections.spawn(async move {
                    if let Err(error) = serve(stream, &screen).await {
                        tracing::debug!(%error, "sandbox screen: connection ended");
                    }
                });
            }
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%error, "sandbox screen: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Ends a connection because the client broke the protocol.
fn violation(what: impl ToString) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

async fn serve(mut stream: TcpStream, screen: &Screen) -> io::Result<()> {
    stream.set_nodelay(true)?;
    // Subscribed before the handshake: a viewer taking the screen meanwhile ends this one too.
    let mut exclusive = screen.exclusive.subscribe();
    let client_init = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&mut stream, screen))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "handshake timed out"))??;
    if !client_init.shared {
        screen.exclusive.send_modify(|taken| *taken += 1);
        exclusive.borrow_and_update();
    }
    stream
        .write_all(&server_init(WIDTH, HEIGHT, SERVER_FORMAT, &screen.name))
        .await?;
    run_session(stream, screen, &client_init.rest, exclusive).await
}

/// Version, VNC Authentication (a fresh challenge per connection) and ClientInit.
async fn handshake(stream: &mut TcpStream, screen: &Screen) -> io::Result<ClientInit> {
    let mut challenge = [0u8; 16];
    getrandom::fill(&mut challenge).map_err(io::Error::other)?;
    let mut handshake = Handshake::new(Security::VncAuthentication {
        password: screen.password.clone(),
        challenge,
    });
    let mut chunk = [0u8; 64];
    let mut received = 0;
    loop {
        let result = handshake.feed(&chunk[..received]);
        // Sent even after a refusal: it tells the client why.
        stream.write_all(&handshake.take_outgoing()).await?;
        if let Some(client_init) = result.map_err(violation)? {
            return Ok(client_init);
        }
        received = stream.read(&mut chunk).await?;
        if received == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
}

/// What the screen does with a client's message.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    SetFormat(PixelFormat),
    Update { incremental: bool, area: Rect },
    Key(u32),
    Nothing,
}

/// What a message asks of this screen, or why it cannot be served.
fn action(message: ClientMessage) -> io::Result<Action> {
    Ok(match message {
        ClientMessage::SetPixelFormat(format) if servable(&format) => Action::SetFormat(format),
        ClientMessage::SetPixelFormat(_) => {
            return Err(violation(
                "only 32-bit true-colour pixel formats are served",
            ));
        }
        ClientMessage::FramebufferUpdateRequest { incremental, area } => {
            Action::Update { incremental, area }
        }
        ClientMessage::Key { down: true, keysym } => Action::Key(keysym),
        ClientMessage::CutText { length } if length > MAX_CUT_TEXT => {
            return Err(violation("clipboard text over 1 MiB"));
        }
        // SetEncodings: everything is sent Raw, which every client takes.
        ClientMessage::Key { down: false, .. }
        | ClientMessage::Pointer { .. }
        | ClientMessage::CutText { .. }
        | ClientMessage::SetEncodings { .. } => Action::Nothing,
        // Only sent to servers that announced them, which this one never does.
        ClientMessage::ExtendedClipboard { .. }
        | ClientMessage::EnableContinuousUpdates { .. }
        | ClientMessage::Fence { .. }
        | ClientMessage::SetDesktopSize { .. }
        | ClientMessage::QemuExtendedKey { .. } => {
            return Err(violation("a message this screen never offered"));
        }
    })
}

/// After the handshake: client messages in, framebuffer updates out.
async fn run_session(
    mut stream: TcpStream,
    screen: &Screen,
    first: &[u8],
    mut exclusive: watch::Receiver<u64>,
) -> io::Result<()> {
    let mut changes = screen.terminal.subscribe();
    let mut format = SERVER_FORMAT;
    let mut messages = ClientMessages::new();
    messages.feed(first);
    let mut chunk = vec![0u8; 4096];
    let mut seen = Seen::default();
    // The area the unanswered incremental requests cover, inside the screen.
    let mut watched: Option<Rect> = None;
    loop {
        while let Some(message) = messages.next_message().map_err(violation)? {
            match action(message)? {
                Action::SetFormat(new_format) => format = new_format,
                // Only what was asked, cut to the screen (an empty update if nothing is left):
                // a viewer probing one pixel must not get the whole screen every time.
                Action::Update {
                    incremental: false,
                    area,
                } => {
                    let frame = changes.borrow().frame();
                    let areas: Vec<Rect> = clip(area, SCREEN).into_iter().collect();
                    stream
                        .write_all(&frame.update(&areas, &format, &mut seen))
                        .await?;
                }
                Action::Update {
                    incremental: true,
                    area,
                } => {
                    // A request wholly outside the screen can never be answered: dropped.
                    if let Some(area) = clip(area, SCREEN) {
                        watched = Some(watched.map_or(area, |watched| union(watched, area)));
                    }
                }
                Action::Key(keysym) => screen.key(keysym),
                Action::Nothing => {}
            }
        }
        if let Some(area) = watched {
            let frame = changes.borrow_and_update().frame();
            let changed = frame.changed_areas(&seen, area);
            if !changed.is_empty() {
                stream
                    .write_all(&frame.update(&changed, &format, &mut seen))
                    .await?;
                watched = None;
            }
        }
        // `read` and `changed` are cancel-safe, so whichever loses loses nothing.
        let woke = tokio::select! {
            read = stream.read(&mut chunk) => Woke::Read(read?),
            changed = changes.changed(), if watched.is_some() => Woke::Changed(changed.is_ok()),
            _ = exclusive.changed() => Woke::Evicted,
        };
        match woke {
            Woke::Read(0) | Woke::Changed(false) => return Ok(()),
            Woke::Evicted => {
                tracing::debug!("sandbox screen: another viewer took the screen");
                return Ok(());
            }
            Woke::Read(count) => messages.feed(chunk.get(..count).unwrap_or_default()),
            Woke::Changed(true) => {}
        }
    }
}

enum Woke {
    Read(usize),
    Changed(bool),
    Evicted,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages of a client stream, as the screen takes them.
    fn actions(stream: &[u8]) -> io::Result<Vec<Action>> {
        let mut messages = ClientMessages::new();
        messages.feed(stream);
        let mut found = Vec::new();
        while let Some(message) = messages.next_message().map_err(violation)? {
            found.push(action(message)?);
        }
        Ok(found)
    }

    #[test]
    fn keys_updates_and_formats_are_acted_on_and_the_rest_ignored() {
        let mut stream = vec![0, 0, 0, 0];
        stream.extend_from_slice(&PixelFormat::RGBX.to_wire());
        stream.extend_from_slice(&[2, 0, 0, 1, 0, 0, 0, 0]);
        stream.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
        stream.extend_from_slice(&[4, 1, 0, 0, 0, 0, 0xff, 0x0d]);
        stream.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0xff, 0x0d]);
        stream.extend_from_slice(&[5, 1, 0, 10, 0, 20]);
        stream.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
        let pixel = Rect {
            x: 0,
            y: 0,
            width: 1,
            height: 1,
        };
        assert_eq!(
            actions(&stream).ok(),
            Some(vec![
                Action::SetFormat(PixelFormat::RGBX),
                Action::Nothing,
                Action::Update {
                    incremental: false,
                    area: pixel
                },
                Action::Key(0xff0d),
                Action::Nothing,
                Action::Nothing,
                Action::Nothing,
            ])
        );
    }

    #[test]
    fn the_screen_refuses_what_it_must_not_buffer_or_cannot_serve() {
        let unknown = actions(&[150, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(unknown.is_err());
        let huge_clipboard = actions(&[6, 0, 0, 0, 0, 0x10, 0, 1]);
        assert!(huge_clipboard.is_err());
        let extended_clipboard = actions(&[6, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0]);
        assert!(extended_clipboard.is_err());
        let mut eight_bit = vec![0, 0, 0, 0];
        let mut wire = PixelFormat::RGBX.to_wire();
        wire[0] = 8;
        eight_bit.extend_from_slice(&wire);
        assert!(actions(&eight_bit).is_err());
        // A clipboard exactly at the cap is read and skipped.
        assert_eq!(
            actions(&[6, 0, 0, 0, 0, 0x10, 0, 0]).ok(),
            Some(vec![Action::Nothing])
        );
    }
}
