//! The screen of a sandbox server: a small RFB (VNC) server per server, on loopback, that draws a
//! Linux-style boot log and a login prompt in an 80x25 text console and runs a toy shell.
//!
//! It exists so the sandbox's console goes through exactly the path a real cloud's does: our
//! WebSocket proxy connects to it over TCP and relays real RFB, with VNC Authentication, to the
//! browser. The screen (its text and login state) lives as long as the screen is open, shared
//! by every connection to it, so a reconnect or a second viewer sees the same console.
//!
//! [`SandboxScreens::with_vms`] swaps the drawn screen for a real one: each screen is then a
//! small QEMU VM ([`super::sandbox_vm`]) whose own VNC server is the endpoint. Callers see no
//! difference: an endpoint on 127.0.0.1 with a VNC password either way.
//!
//! Protocol: RFB 3.8 (3.3 and 3.7 answers are tolerated), security type 2 only, Raw encoding
//! only, any 32-bit true-colour pixel format. Nothing a client sends is trusted: every length is
//! capped before it is used and anything outside the protocol closes the connection.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::Ipv4Addr;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use subtle::ConstantTimeEq as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinSet};

use super::sandbox_vm::{SandboxVmGuest, VmProcess, VmSlot};

const COLUMNS: usize = 80;
const ROWS: usize = 25;
const CELL_WIDTH: usize = 8;
const CELL_HEIGHT: usize = 16;
const WIDTH: u16 = 640;
const HEIGHT: u16 = 400;

/// Viewers of one screen at once; more would only be someone hammering a loopback port.
const MAX_CONNECTIONS: usize = 8;
/// Clipboard text a client may send (it is read and thrown away).
const MAX_CUT_TEXT: u32 = 1024 * 1024;
/// A connection that has not authenticated by then is dropped, so idle sockets cannot hold
/// the connection slots.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Characters of one input line: three screen rows, more than any command here needs.
const MAX_INPUT: usize = 3 * COLUMNS;
/// Host names longer than this are cut, so the prompt keeps room for typing.
const MAX_HOSTNAME: usize = 64;
const PASSWORD_LENGTH: usize = 8;

const BACKGROUND: [u8; 3] = [0, 0, 0];
const FOREGROUND: [u8; 3] = [0xc8, 0xc8, 0xc8];
const CURSOR: [u8; 3] = [0xf0, 0xf0, 0xf0];

const KEY_BACKSPACE: u32 = 0xff08;
const KEY_RETURN: u32 = 0xff0d;
const KEY_KP_ENTER: u32 = 0xff8d;

const SECURITY_VNC_AUTHENTICATION: u8 = 2;
const AUTHENTICATION_FAILED: &str = "authentication failed";

/// The running screens of sandbox servers, by server id. Clones share them; when the last clone
/// is dropped every screen stops (and every VM is killed).
#[derive(Clone, Debug, Default)]
pub struct SandboxScreens {
    screens: Arc<Mutex<HashMap<String, Slot>>>,
    /// The guest every screen boots; `None` draws the built-in screen instead.
    vms: Option<Arc<SandboxVmGuest>>,
}

/// One server's screen.
#[derive(Debug)]
enum Slot {
    BuiltIn(Running),
    Vm(Arc<VmSlot>),
}

/// Where a screen listens (always on 127.0.0.1) and its VNC password.
#[derive(Clone, PartialEq, Eq)]
pub struct ScreenEndpoint {
    pub port: u16,
    pub password: String,
}

// The password stays out of logs.
impl fmt::Debug for ScreenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScreenEndpoint")
            .field("port", &self.port)
            .field("password", &"…")
            .finish()
    }
}

#[derive(Debug)]
struct Running {
    endpoint: ScreenEndpoint,
    listener: AbortHandle,
}

impl Drop for Running {
    /// Aborting the listener task drops its set of connection tasks, which aborts them all.
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl SandboxScreens {
    /// Screens that are real VMs of `guest` (the default, [`SandboxScreens::default`], draws
    /// the built-in screen).
    pub fn with_vms(guest: SandboxVmGuest) -> Self {
        Self {
            screens: Arc::default(),
            vms: Some(Arc::new(guest)),
        }
    }

    /// The guest the screens boot, or `None` for the built-in screen.
    pub fn vm_guest(&self) -> Option<&SandboxVmGuest> {
        self.vms.as_deref()
    }

    /// Starts the screen of a sandbox server once (later calls return the same endpoint, even
    /// when they overlap). A VM gets `hostname` and root's password hash (`None`: root is
    /// locked); the built-in screen shows the host name and takes any password.
    pub async fn open(
        &self,
        server_id: &str,
        hostname: &str,
        root_password_hash: Option<&str>,
    ) -> io::Result<ScreenEndpoint> {
        let Some(guest) = &self.vms else {
            return self.open_built_in(server_id, hostname);
        };
        let slot = {
            let mut screens = self.lock();
            match screens.get(server_id) {
                Some(Slot::Vm(slot)) => Arc::clone(slot),
                _ => {
                    let slot = Arc::new(VmSlot::default());
                    let replaced =
                        screens.insert(server_id.to_owned(), Slot::Vm(Arc::clone(&slot)));
                    drop(screens);
                    drop(replaced);
                    slot
                }
            }
        };
        // Concurrent opens of one server share the slot and wait for each other inside it.
        let endpoint = slot
            .open(guest, server_id, hostname, root_password_hash)
            .await?;
        // Closed while it booted: the VM goes with this last handle on its slot.
        let current = matches!(
            self.lock().get(server_id),
            Some(Slot::Vm(now)) if Arc::ptr_eq(now, &slot)
        );
        if current {
            Ok(endpoint)
        } else {
            Err(io::Error::other("the screen was closed while it started"))
        }
    }

    fn open_built_in(&self, server_id: &str, hostname: &str) -> io::Result<ScreenEndpoint> {
        let mut screens = self.lock();
        if let Some(Slot::BuiltIn(running)) = screens.get(server_id)
            && !running.listener.is_finished()
        {
            return Ok(running.endpoint.clone());
        }
        // Bound synchronously under the lock, so two concurrent opens cannot start two screens.
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let listener = TcpListener::from_std(listener)?;
        let password = random_password()?;
        let screen = Arc::new(Screen::new(hostname, password.clone()));
        let task = tokio::spawn(listen(listener, screen));
        let endpoint = ScreenEndpoint { port, password };
        let replaced = screens.insert(
            server_id.to_owned(),
            Slot::BuiltIn(Running {
                endpoint: endpoint.clone(),
                listener: task.abort_handle(),
            }),
        );
        drop(screens);
        drop(replaced);
        Ok(endpoint)
    }

    /// Stops a server's screen: its listener and every connection to it, or its VM (killed,
    /// reaped, its directory removed). No-op if none.
    pub fn close(&self, server_id: &str) {
        let removed = self.lock().remove(server_id);
        drop(removed);
    }

    /// The QEMU process behind a server's screen, when screens are VMs and its VM runs (and no
    /// open is starting it right now).
    pub fn vm_process(&self, server_id: &str) -> Option<VmProcess> {
        let slot = match self.lock().get(server_id) {
            Some(Slot::Vm(slot)) => Arc::clone(slot),
            _ => return None,
        };
        slot.process()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        // The map stays consistent even if a holder panicked: every change is one insert/remove.
        self.screens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// VNC Authentication uses only a password's first eight characters.
pub(crate) fn random_password() -> io::Result<String> {
    let mut password = crate::secrets::generate_password().map_err(io::Error::other)?;
    password.truncate(PASSWORD_LENGTH);
    Ok(password)
}

/// One server's screen, shared by its listener and connections.
struct Screen {
    password: rfb::Password,
    name: String,
    terminal: watch::Sender<Terminal>,
}

impl Screen {
    fn new(hostname: &str, password: String) -> Self {
        let terminal = Terminal::new(hostname);
        Self {
            password: rfb::Password::new(password),
            name: format!("{} (Webrana sandbox)", terminal.hostname),
            terminal: watch::Sender::new(terminal),
        }
    }

    fn key(&self, keysym: u32) {
        self.terminal
            .send_if_modified(|terminal| terminal.key(keysym));
    }
}

async fn listen(listener: TcpListener, screen: Arc<Screen>) {
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
fn violation(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

async fn serve(mut stream: TcpStream, screen: &Screen) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let authenticated = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&mut stream, screen))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "handshake timed out"))??;
    if !authenticated {
        return Ok(());
    }
    run_session(stream, screen).await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    V3_3,
    V3_7,
    V3_8,
}

/// The version a client answered with, mapped the way common clients and servers do.
fn parse_version(bytes: &[u8; 12]) -> Option<Version> {
    let digits = |range: Range<usize>| -> Option<u16> {
        let field = bytes.get(range)?;
        if !field.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(field).ok()?.parse().ok()
    };
    if !bytes.starts_with(b"RFB ") || bytes[7] != b'.' || bytes[11] != b'\n' {
        return None;
    }
    match (digits(4..7)?, digits(8..11)?) {
        (3, minor) if minor >= 8 => Some(Version::V3_8),
        (3, 7) => Some(Version::V3_7),
        (3, 3..=6) => Some(Version::V3_3),
        (major, _) if major > 3 => Some(Version::V3_8),
        _ => None,
    }
}

fn failure_with_reason(reason: &str) -> Vec<u8> {
    let mut message = 1u32.to_be_bytes().to_vec();
    message.extend_from_slice(&u32::try_from(reason.len()).unwrap_or(0).to_be_bytes());
    message.extend_from_slice(reason.as_bytes());
    message
}

/// Version, VNC Authentication, ClientInit and ServerInit. False when the client was refused.
async fn handshake(stream: &mut TcpStream, screen: &Screen) -> io::Result<bool> {
    stream.write_all(b"RFB 003.008\n").await?;
    let mut answer = [0u8; 12];
    stream.read_exact(&mut answer).await?;
    let version = parse_version(&answer).ok_or_else(|| violation("not an RFB version"))?;

    if version == Version::V3_3 {
        stream
            .write_all(&u32::from(SECURITY_VNC_AUTHENTICATION).to_be_bytes())
            .await?;
    } else {
        stream.write_all(&[1, SECURITY_VNC_AUTHENTICATION]).await?;
        let mut chosen = [0u8; 1];
        stream.read_exact(&mut chosen).await?;
        if chosen[0] != SECURITY_VNC_AUTHENTICATION {
            if version == Version::V3_8 {
                stream
                    .write_all(&failure_with_reason("only VNC authentication is offered"))
                    .await?;
            }
            return Ok(false);
        }
    }

    let mut challenge = [0u8; 16];
    getrandom::fill(&mut challenge).map_err(io::Error::other)?;
    stream.write_all(&challenge).await?;
    let mut response = [0u8; 16];
    stream.read_exact(&mut response).await?;
    let expected = rfb::challenge_response(&screen.password, &challenge);
    if !bool::from(expected.ct_eq(&response)) {
        let refusal = if version == Version::V3_8 {
            failure_with_reason(AUTHENTICATION_FAILED)
        } else {
            1u32.to_be_bytes().to_vec()
        };
        stream.write_all(&refusal).await?;
        return Ok(false);
    }
    stream.write_all(&0u32.to_be_bytes()).await?;

    // Shared or not, every viewer stays: they all watch the same console.
    let mut client_init = [0u8; 1];
    stream.read_exact(&mut client_init).await?;

    let mut init = Vec::with_capacity(24 + screen.name.len());
    init.extend_from_slice(&WIDTH.to_be_bytes());
    init.extend_from_slice(&HEIGHT.to_be_bytes());
    init.extend_from_slice(&PixelFormat::SERVER.to_wire());
    init.extend_from_slice(&u32::try_from(screen.name.len()).unwrap_or(0).to_be_bytes());
    init.extend_from_slice(screen.name.as_bytes());
    stream.write_all(&init).await?;
    Ok(true)
}

/// After the handshake: client messages in, framebuffer updates out.
async fn run_session(mut stream: TcpStream, screen: &Screen) -> io::Result<()> {
    let mut changes = screen.terminal.subscribe();
    let mut format = PixelFormat::SERVER;
    let mut parser = Parser::default();
    let mut chunk = vec![0u8; 4096];
    // The screen generation this connection has been sent; 0 is "nothing yet".
    let mut sent: u64 = 0;
    let mut incremental_pending = false;
    loop {
        while let Some(message) = parser.next()? {
            match message {
                ClientMessage::SetPixelFormat(new_format) => format = new_format,
                ClientMessage::UpdateRequest { incremental: false } => {
                    let frame = changes.borrow().frame();
                    stream.write_all(&frame.update(0..ROWS, &format)).await?;
                    sent = frame.generation;
                }
                ClientMessage::UpdateRequest { incremental: true } => incremental_pending = true,
                ClientMessage::Key { down: true, keysym } => screen.key(keysym),
                ClientMessage::Key { down: false, .. } | ClientMessage::Ignored => {}
            }
        }
        if incremental_pending {
            let frame = changes.borrow_and_update().frame();
            let changed = frame.changed_since(sent);
            if !changed.is_empty() {
                stream
                    .write_all(&frame.update_rows(&changed, &format))
                    .await?;
                sent = frame.generation;
                incremental_pending = false;
            }
        }
        // `read` and `changed` are both cancel-safe, so whichever loses loses nothing.
        let woke = tokio::select! {
            read = stream.read(&mut chunk) => Woke::Read(read?),
            changed = changes.changed(), if incremental_pending => Woke::Changed(changed.is_ok()),
        };
        match woke {
            Woke::Read(0) | Woke::Changed(false) => return Ok(()),
            Woke::Read(count) => parser.feed(chunk.get(..count).unwrap_or_default()),
            Woke::Changed(true) => {}
        }
    }
}

enum Woke {
    Read(usize),
    Changed(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientMessage {
    SetPixelFormat(PixelFormat),
    UpdateRequest {
        incremental: bool,
    },
    Key {
        down: bool,
        keysym: u32,
    },
    /// SetEncodings, PointerEvent, ClientCutText: read, and nothing to do.
    Ignored,
}

/// Splits the client's byte stream into messages. Bodies nobody needs (encoding lists,
/// clipboard text) are skipped as they arrive, so the buffer never holds more than one read
/// plus one incomplete message header.
#[derive(Debug, Default)]
struct Parser {
    buffer: Vec<u8>,
    /// Bytes still to throw away; while non-zero the buffer is empty.
    skip: usize,
}

fn be_u16(bytes: &[u8], at: usize) -> u16 {
    let mut field = [0u8; 2];
    if let Some(source) = bytes.get(at..at + 2) {
        field.copy_from_slice(source);
    }
    u16::from_be_bytes(field)
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    let mut field = [0u8; 4];
    if let Some(source) = bytes.get(at..at + 4) {
        field.copy_from_slice(source);
    }
    u32::from_be_bytes(field)
}

impl Parser {
    fn feed(&mut self, data: &[u8]) {
        let skipped = self.skip.min(data.len());
        self.skip -= skipped;
        self.buffer
            .extend_from_slice(data.get(skipped..).unwrap_or_default());
    }

    /// The next complete message, or `None` until more bytes arrive.
    fn next(&mut self) -> io::Result<Option<ClientMessage>> {
        let Some(&kind) = self.buffer.first() else {
            return Ok(None);
        };
        let length = match kind {
            0 => 20,
            2 => 4,
            3 => 10,
            4 => 8,
            5 => 6,
            6 => 8,
            _ => return Err(violation("unknown client message type")),
        };
        let Some(bytes) = self.buffer.get(..length) else {
            return Ok(None);
        };
        let message = match kind {
            0 => {
                let mut wire = [0u8; 16];
                wire.copy_from_slice(bytes.get(4..20).unwrap_or(&[0; 16]));
                let format = PixelFormat::parse(&wire)
                    .ok_or_else(|| violation("only 32-bit true-colour pixel formats are served"))?;
                ClientMessage::SetPixelFormat(format)
            }
            2 => {
                self.skip = 4 * usize::from(be_u16(bytes, 2));
                ClientMessage::Ignored
            }
            3 => ClientMessage::UpdateRequest {
                incremental: bytes[1] != 0,
            },
            4 => ClientMessage::Key {
                down: bytes[1] != 0,
                keysym: be_u32(bytes, 4),
            },
            5 => ClientMessage::Ignored,
            _ => {
                let text = be_u32(bytes, 4);
                if text > MAX_CUT_TEXT {
                    return Err(violation("clipboard text over 1 MiB"));
                }
                self.skip = usize::try_from(text).unwrap_or(usize::MAX);
                ClientMessage::Ignored
            }
        };
        self.buffer.drain(..length);
        let skipped = self.skip.min(self.buffer.len());
        self.buffer.drain(..skipped);
        self.skip -= skipped;
        Ok(Some(message))
    }
}

/// A 32-bit true-colour pixel format, the only kind served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PixelFormat {
    big_endian: bool,
    max: [u16; 3],
    shift: [u8; 3],
}

impl PixelFormat {
    /// What every server the project met announces: little-endian BGRX.
    const SERVER: PixelFormat = PixelFormat {
        big_endian: false,
        max: [255, 255, 255],
        shift: [16, 8, 0],
    };

    fn to_wire(self) -> [u8; 16] {
        let [red_max, green_max, blue_max] = self.max.map(u16::to_be_bytes);
        let [red_shift, green_shift, blue_shift] = self.shift;
        [
            32,
            24,
            u8::from(self.big_endian),
            1,
            red_max[0],
            red_max[1],
            green_max[0],
            green_max[1],
            blue_max[0],
            blue_max[1],
            red_shift,
            green_shift,
            blue_shift,
            0,
            0,
            0,
        ]
    }

    /// `None` for anything but 32 bits per pixel, true colour, shifts inside the pixel.
    fn parse(wire: &[u8; 16]) -> Option<Self> {
        let shift = [wire[10], wire[11], wire[12]];
        // Like x11vnc's 255, any non-zero true-colour flag means true colour.
        if wire[0] != 32 || wire[3] == 0 || shift.iter().any(|&shift| shift >= 32) {
            return None;
        }
        Some(Self {
            big_endian: wire[2] != 0,
            max: [be_u16(wire, 4), be_u16(wire, 6), be_u16(wire, 8)],
            shift,
        })
    }

    fn encode(self, rgb: [u8; 3]) -> [u8; 4] {
        let mut pixel = 0u32;
        for ((channel, max), shift) in rgb.into_iter().zip(self.max).zip(self.shift) {
            let scaled = u32::from(channel) * u32::from(max) / 255;
            pixel |= scaled.checked_shl(u32::from(shift)).unwrap_or(0);
        }
        if self.big_endian {
            pixel.to_be_bytes()
        } else {
            pixel.to_le_bytes()
        }
    }
}

fn glyph(character: u8) -> [u8; 8] {
    font8x8::legacy::BASIC_LEGACY
        .get(usize::from(character))
        .copied()
        .unwrap_or([0; 8])
}

/// What a connection needs to draw the screen, copied out so no lock is held while it writes.
#[derive(Clone, Copy, Debug)]
struct Frame {
    cells: [[u8; COLUMNS]; ROWS],
    cursor: (usize, usize),
    generation: u64,
    row_changed: [u64; ROWS],
}

impl Frame {
    /// Text rows changed after generation `sent`, as runs of adjacent rows.
    fn changed_since(&self, sent: u64) -> Vec<Range<usize>> {
        let mut runs: Vec<Range<usize>> = Vec::new();
        for (row, &changed) in self.row_changed.iter().enumerate() {
            if changed <= sent {
                continue;
            }
            match runs.last_mut() {
                Some(run) if run.end == row => run.end = row + 1,
                _ => runs.push(row..row + 1),
            }
        }
        runs
    }

    fn update(&self, rows: Range<usize>, format: &PixelFormat) -> Vec<u8> {
        self.update_rows(&[rows], format)
    }

    /// A FramebufferUpdate with one full-width Raw rectangle per run of text rows.
    fn update_rows(&self, runs: &[Range<usize>], format: &PixelFormat) -> Vec<u8> {
        let pixels: usize = runs.iter().map(ExactSizeIterator::len).sum::<usize>()
            * CELL_HEIGHT
            * usize::from(WIDTH)
            * 4;
        let mut message = Vec::with_capacity(4 + 12 * runs.len() + pixels);
        message.extend_from_slice(&[0, 0]);
        message.extend_from_slice(&u16::try_from(runs.len()).unwrap_or(0).to_be_bytes());
        for run in runs {
            let y = u16::try_from(run.start * CELL_HEIGHT).unwrap_or(0);
            let height = u16::try_from(run.len() * CELL_HEIGHT).unwrap_or(0);
            for field in [0, y, WIDTH, height] {
                message.extend_from_slice(&field.to_be_bytes());
            }
            message.extend_from_slice(&0i32.to_be_bytes());
            self.render(run.clone(), format, &mut message);
        }
        message
    }

    /// Appends the pixels of these text rows: each glyph row is doubled to make 8x16 cells, and
    /// the cursor cell is drawn in inverse video.
    fn render(&self, rows: Range<usize>, format: &PixelFormat, out: &mut Vec<u8>) {
        let background = format.encode(BACKGROUND);
        let foreground = format.encode(FOREGROUND);
        let cursor = format.encode(CURSOR);
        for (row, cells) in self
            .cells
            .iter()
            .enumerate()
            .take(rows.end)
            .skip(rows.start)
        {
            for line in 0..CELL_HEIGHT {
                for (column, &character) in cells.iter().enumerate() {
                    let bits = glyph(character)[line / 2];
                    let inverse = (row, column) == self.cursor;
                    for x in 0..CELL_WIDTH {
                        let on = (bits >> x) & 1 == 1;
                        out.extend_from_slice(match (on, inverse) {
                            (true, false) => &foreground,
                            (false, false) | (true, true) => &background,
                            (false, true) => &cursor,
                        });
                    }
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    Login,
    Password { user: String },
    Shell { user: String },
}

/// The text console: 80x25 cells, a cursor, and the login/shell state behind it.
#[derive(Clone, Debug)]
struct Terminal {
    hostname: String,
    cells: [[u8; COLUMNS]; ROWS],
    row: usize,
    /// 0..=COLUMNS; COLUMNS means the row is full and the next character wraps.
    column: usize,
    /// Bumped by every change; rows remember the generation that last changed them.
    generation: u64,
    row_changed: [u64; ROWS],
    mode: Mode,
    input: String,
}

const BOOT_LOG: &[&str] = &[
    "[    0.000000] Linux version 6.1.0-sandbox (builder@webrana) (gcc 12.2.0) #1 SMP",
    "[    0.000000] Command line: BOOT_IMAGE=/vmlinuz-6.1.0-sandbox root=/dev/vda1 ro",
    "[    0.000000] BIOS-provided physical RAM map: Webrana sandbox firmware",
    "[    0.004211] Memory: 1004312K/1048576K available (16384K kernel code)",
    "[    0.012034] smpboot: CPU0: Webrana Virtual CPU @ 2.40GHz (family: 0x6)",
    "[    0.104563] smp: Brought up 1 node, 1 CPU",
    "[    0.231104] clocksource: Switched to clocksource kvm-clock",
    "[    0.512877] virtio_blk virtio1: [vda] 52428800 512-byte logical blocks",
    "[    0.734650] VFS: Mounting root filesystem on vda1 (ext4)",
    "[    0.734902] EXT4-fs (vda1): mounted filesystem with ordered data mode",
];

const BOOT_LOG_END: &[&str] = &[
    "[    1.402900] webrana: the Webrana sandbox's simulated screen; no real machine",
    "[    2.118270] systemd[1]: Reached target Multi-User System.",
];

impl Terminal {
    fn new(hostname: &str) -> Self {
        let hostname: String = hostname
            .chars()
            .take(MAX_HOSTNAME)
            .map(|c| if c.is_ascii_graphic() { c } else { '?' })
            .collect();
        let mut terminal = Self {
            hostname,
            cells: [[b' '; COLUMNS]; ROWS],
            row: 0,
            column: 0,
            generation: 1,
            row_changed: [1; ROWS],
            mode: Mode::Login,
            input: String::new(),
        };
        for line in BOOT_LOG {
            terminal.write(line);
            terminal.write("\n");
        }
        let hostname = terminal.hostname.clone();
        terminal.write(&format!(
            "[    1.021447] systemd[1]: Set hostname to <{hostname}>.\n\
             [    1.402318] eth0: link up, 1000 Mbps, DHCP lease for {hostname}\n"
        ));
        for line in BOOT_LOG_END {
            terminal.write(line);
            terminal.write("\n");
        }
        terminal.write("\n");
        terminal.login_prompt();
        terminal
    }

    fn frame(&self) -> Frame {
        Frame {
            cells: self.cells,
            cursor: (self.row, self.column.min(COLUMNS - 1)),
            generation: self.generation,
            row_changed: self.row_changed,
        }
    }

    fn touch(&mut self, row: usize) {
        if let Some(changed) = self.row_changed.get_mut(row) {
            *changed = self.generation;
        }
    }

    fn touch_all(&mut self) {
        self.row_changed = [self.generation; ROWS];
    }

    fn write(&mut self, text: &str) {
        for byte in text.bytes() {
            if byte == b'\n' {
                self.newline();
            } else {
                self.put(if (0x20..=0x7e).contains(&byte) {
                    byte
                } else {
                    b'?'
                });
            }
        }
    }

    fn put(&mut self, character: u8) {
        if self.column >= COLUMNS {
            self.newline();
        }
        self.cells[self.row][self.column] = character;
        self.column += 1;
        self.touch(self.row);
    }

    fn newline(&mut self) {
        self.touch(self.row);
        self.column = 0;
        if self.row + 1 < ROWS {
            self.row += 1;
        } else {
            self.cells.rotate_left(1);
            self.cells[ROWS - 1] = [b' '; COLUMNS];
            self.touch_all();
        }
        self.touch(self.row);
    }

    /// Erases the character before the cursor, back across a wrapped row.
    fn backspace(&mut self) {
        self.touch(self.row);
        if self.column == 0 {
            if self.row == 0 {
                return;
            }
            self.row -= 1;
            self.column = COLUMNS;
        }
        self.column -= 1;
        self.cells[self.row][self.column] = b' ';
        self.touch(self.row);
    }

    fn clear(&mut self) {
        self.cells = [[b' '; COLUMNS]; ROWS];
        self.row = 0;
        self.column = 0;
        self.touch_all();
    }

    fn login_prompt(&mut self) {
        let prompt = format!("{} login: ", self.hostname);
        self.write(&prompt);
    }

    fn shell_prompt(&mut self, user: &str) {
        let sign = if user == "root" { '#' } else { '$' };
        let prompt = format!("{user}@{}:~{sign} ", self.hostname);
        self.write(&prompt);
    }

    /// Handles a key press (X11 keysym); true if the screen changed.
    fn key(&mut self, keysym: u32) -> bool {
        self.generation += 1;
        let echo = !matches!(self.mode, Mode::Password { .. });
        match keysym {
            0x20..=0x7e => {
                let Ok(character) = u8::try_from(keysym) else {
                    return false;
                };
                if self.input.len() >= MAX_INPUT {
                    return false;
                }
                self.input.push(char::from(character));
                if echo {
                    self.put(character);
                }
                echo
            }
            KEY_BACKSPACE => {
                if self.input.pop().is_none() {
                    return false;
                }
                if echo {
                    self.backspace();
                }
                echo
            }
            KEY_RETURN | KEY_KP_ENTER => {
                let line = std::mem::take(&mut self.input);
                self.newline();
                self.submit(&line);
                true
            }
            _ => false,
        }
    }

    fn submit(&mut self, line: &str) {
        match std::mem::replace(&mut self.mode, Mode::Login) {
            Mode::Login => {
                let user = line.trim();
                if user.is_empty() {
                    self.login_prompt();
                } else {
                    self.mode = Mode::Password {
                        user: user.to_owned(),
                    };
                    self.write("Password: ");
                }
            }
            Mode::Password { user } => {
                let welcome = format!(
                    "\nWelcome to {} (Webrana sandbox)\n\
                     This console is simulated; type `help` for what it can do.\n\n",
                    self.hostname
                );
                self.write(&welcome);
                self.shell_prompt(&user);
                self.mode = Mode::Shell { user };
            }
            Mode::Shell { user } => {
                if self.run(line, &user) {
                    self.shell_prompt(&user);
                    self.mode = Mode::Shell { user };
                } else {
                    self.write("\n");
                    self.login_prompt();
                }
            }
        }
    }

    /// Runs one shell command; false when it logged out.
    fn run(&mut self, line: &str, user: &str) -> bool {
        let mut words = line.split_whitespace();
        let Some(command) = words.next() else {
            return true;
        };
        let arguments: Vec<&str> = words.collect();
        let output = match command {
            "echo" => arguments.join(" "),
            "hostname" => self.hostname.clone(),
            "uname" => match arguments.as_slice() {
                [] | ["-s"] => "Linux".to_owned(),
                ["-r"] => "6.1.0-sandbox".to_owned(),
                _ => format!(
                    "Linux {} 6.1.0-sandbox #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux",
                    self.hostname
                ),
            },
            "whoami" => user.to_owned(),
            "help" => "This simulated shell knows: echo TEXT, hostname, uname [-a], whoami,\n\
                       clear, help, exit (or logout)."
                .to_owned(),
            "clear" => {
                self.clear();
                return true;
            }
            "exit" | "logout" => return false,
            unknown => format!("-sh: {unknown}: command not found"),
        };
        self.write(&output);
        self.write("\n");
        true
    }
}

/// Reads a framebuffer drawn by this screen back into text, one String per text row (trailing
/// spaces trimmed), by matching each 8x16 cell against the font. For tests at every level.
///
/// A cell that matches no character, straight or in inverse video (the cursor), reads as `?`.
#[cfg(any(test, feature = "testing"))]
pub fn screen_text(rgba: &[u8], width: u16, height: u16) -> Vec<String> {
    let width = usize::from(width);
    let lit = |x: usize, y: usize| -> bool {
        let at = (y * width + x) * 4;
        rgba.get(at..at + 3)
            .is_some_and(|rgb| rgb.iter().map(|&c| u32::from(c)).sum::<u32>() > 3 * 0x60)
    };
    let printable = 0x20u8..=0x7e;
    let mut lines = Vec::new();
    for row in 0..usize::from(height) / CELL_HEIGHT {
        let mut line = String::new();
        for column in 0..width / CELL_WIDTH {
            let mut cell = [0u8; CELL_HEIGHT];
            for (y, bits) in cell.iter_mut().enumerate() {
                for x in 0..CELL_WIDTH {
                    if lit(column * CELL_WIDTH + x, row * CELL_HEIGHT + y) {
                        *bits |= 1 << x;
                    }
                }
            }
            let drawn = |glyph: [u8; 8], inverse: bool| {
                cell.iter()
                    .enumerate()
                    .all(|(y, &bits)| bits == if inverse { !glyph[y / 2] } else { glyph[y / 2] })
            };
            let character = printable
                .clone()
                .find(|&c| drawn(glyph(c), false))
                .or_else(|| printable.clone().find(|&c| drawn(glyph(c), true)))
                .unwrap_or(b'?');
            line.push(char::from(character));
        }
        lines.push(line.trim_end().to_owned());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Little-endian with red in the low byte: RGBX in memory, what `screen_text` reads.
    const RGBX: PixelFormat = PixelFormat {
        big_endian: false,
        max: [255, 255, 255],
        shift: [0, 8, 16],
    };

    fn rgba(terminal: &Terminal) -> Vec<u8> {
        let mut pixels = Vec::new();
        terminal.frame().render(0..ROWS, &RGBX, &mut pixels);
        pixels
    }

    fn text(terminal: &Terminal) -> Vec<String> {
        terminal
            .cells
            .iter()
            .map(|row| String::from_utf8_lossy(row).trim_end().to_owned())
            .collect()
    }

    fn type_line(terminal: &mut Terminal, line: &str) {
        for byte in line.bytes() {
            terminal.key(u32::from(byte));
        }
        terminal.key(KEY_RETURN);
    }

    fn logged_in(user: &str) -> Terminal {
        let mut terminal = Terminal::new("web-1");
        type_line(&mut terminal, user);
        type_line(&mut terminal, "secret");
        terminal
    }

    fn last_line(terminal: &Terminal) -> String {
        text(terminal)[terminal.row].clone()
    }

    #[test]
    fn printable_glyphs_are_distinct_so_text_reads_back() {
        let glyphs: Vec<[u8; 8]> = (0x20u8..=0x7e).map(glyph).collect();
        for (index, first) in glyphs.iter().enumerate() {
            for second in &glyphs[index + 1..] {
                assert_ne!(first, second);
            }
            assert!(!glyphs.contains(&first.map(|bits| !bits)));
        }
    }

    #[test]
    fn boots_to_a_login_prompt() {
        let terminal = Terminal::new("shop.example.test");
        let lines = text(&terminal);
        assert!(lines[0].starts_with("[    0.000000] Linux version 6.1.0-sandbox"));
        assert!(
            lines
                .iter()
                .any(|line| line.contains("Mounting root filesystem"))
        );
        assert!(
            lines
                .iter()
                .any(|line| line.contains("Webrana sandbox's simulated screen"))
        );
        assert!(lines.iter().any(|line| line.contains("shop.example.test")));
        assert_eq!(lines[terminal.row], "shop.example.test login:");
        assert_eq!(lines[terminal.row - 1], "");
        assert_eq!(terminal.column, "shop.example.test login: ".len());
        for line in BOOT_LOG.iter().chain(BOOT_LOG_END) {
            assert!(line.len() <= COLUMNS, "{line}");
        }
    }

    #[test]
    fn odd_host_names_are_made_printable_and_short() {
        let terminal = Terminal::new(&format!("bad\u{7}h\u{e9}st{}", "x".repeat(100)));
        assert!(terminal.hostname.starts_with("bad?h?st"));
        assert_eq!(terminal.hostname.len(), MAX_HOSTNAME);
    }

    #[test]
    fn screen_text_reads_back_the_rendered_screen_with_the_cursor() {
        let mut terminal = logged_in("root");
        type_line(&mut terminal, "echo Hello, World! ~{|}");
        terminal.key(u32::from(b'x'));
        let pixels = rgba(&terminal);
        assert_eq!(pixels.len(), usize::from(WIDTH) * usize::from(HEIGHT) * 4);
        assert_eq!(screen_text(&pixels, WIDTH, HEIGHT), text(&terminal));

        // The cursor is a light block after the `x`, the rest of the screen is black and grey.
        let (row, column) = (terminal.row, terminal.column);
        let at = |x: usize, y: usize| {
            let offset = (y * usize::from(WIDTH) + x) * 4;
            [pixels[offset], pixels[offset + 1], pixels[offset + 2]]
        };
        assert_eq!(at(column * 8 + 3, row * 16 + 8), CURSOR);
        assert_eq!(at(column * 8 + 3, (row + 1) * 16 + 8), BACKGROUND);
        assert_eq!(at(0, 0), BACKGROUND);
        let colours: std::collections::BTreeSet<[u8; 3]> =
            pixels.chunks(4).map(|p| [p[0], p[1], p[2]]).collect();
        assert_eq!(colours, [BACKGROUND, FOREGROUND, CURSOR].into());
    }

    #[test]
    fn screen_text_never_panics_on_odd_input() {
        assert_eq!(screen_text(&[], 640, 400).len(), 25);
        assert_eq!(screen_text(&[255; 100], 7, 15), Vec::<String>::new());
        let garbage: Vec<u8> = (0..16 * 8 * 4).map(|n| (n * 37 % 256) as u8).collect();
        assert_eq!(screen_text(&garbage, 8, 16), vec!["?".to_owned()]);
    }

    #[test]
    fn login_then_shell_commands() {
        let mut terminal = Terminal::new("web-1");
        type_line(&mut terminal, "");
        assert_eq!(last_line(&terminal), "web-1 login:");
        type_line(&mut terminal, "alice");
        assert_eq!(last_line(&terminal), "Password:");
        // The password is not echoed.
        for byte in b"hunter2" {
            assert!(!terminal.key(u32::from(*byte)));
        }
        assert_eq!(last_line(&terminal), "Password:");
        terminal.key(KEY_KP_ENTER);
        let lines = text(&terminal);
        assert!(lines.contains(&"Welcome to web-1 (Webrana sandbox)".to_owned()));
        assert!(!lines.iter().any(|line| line.contains("hunter2")));
        assert_eq!(last_line(&terminal), "alice@web-1:~$");

        let command = |terminal: &mut Terminal, line: &str| -> Vec<String> {
            let before = terminal.row;
            type_line(terminal, line);
            let lines = text(terminal);
            let start = lines[..=before]
                .iter()
                .rposition(|l| l.ends_with(line))
                .unwrap_or(before);
            lines[start + 1..terminal.row].to_vec()
        };
        assert_eq!(
            command(&mut terminal, "echo  hello   world"),
            ["hello world"]
        );
        assert_eq!(command(&mut terminal, "hostname"), ["web-1"]);
        assert_eq!(command(&mut terminal, "whoami"), ["alice"]);
        assert_eq!(
            command(&mut terminal, "uname -a"),
            ["Linux web-1 6.1.0-sandbox #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux"]
        );
        assert_eq!(command(&mut terminal, "uname"), ["Linux"]);
        assert_eq!(
            command(&mut terminal, "rm -rf /"),
            ["-sh: rm: command not found"]
        );
        assert!(command(&mut terminal, "help").concat().contains("whoami"));
        type_line(&mut terminal, "");
        assert_eq!(last_line(&terminal), "alice@web-1:~$");
        assert_eq!(text(&terminal)[terminal.row - 1], "alice@web-1:~$");

        type_line(&mut terminal, "clear");
        assert_eq!(text(&terminal)[0], "alice@web-1:~$");
        assert_eq!(
            (terminal.row, terminal.column),
            (0, "alice@web-1:~$ ".len())
        );
        assert!(text(&terminal)[1..].iter().all(String::is_empty));

        type_line(&mut terminal, "exit");
        assert_eq!(last_line(&terminal), "web-1 login:");
        assert_eq!(terminal.mode, Mode::Login);
    }

    #[test]
    fn root_gets_a_hash_prompt() {
        let terminal = logged_in("root");
        assert_eq!(last_line(&terminal), "root@web-1:~#");
        let mut terminal = logged_in("admin");
        type_line(&mut terminal, "logout");
        type_line(&mut terminal, "root");
        type_line(&mut terminal, "x");
        assert_eq!(last_line(&terminal), "root@web-1:~#");
    }

    #[test]
    fn backspace_edits_the_line_and_stops_at_the_prompt() {
        let mut terminal = logged_in("root");
        for byte in b"echo hx" {
            terminal.key(u32::from(*byte));
        }
        assert!(terminal.key(KEY_BACKSPACE));
        assert_eq!(last_line(&terminal), "root@web-1:~# echo h");
        for byte in b"i" {
            terminal.key(u32::from(*byte));
        }
        for _ in 0..20 {
            terminal.key(KEY_BACKSPACE);
        }
        assert_eq!(last_line(&terminal), "root@web-1:~#");
        assert!(!terminal.key(KEY_BACKSPACE));
        type_line(&mut terminal, "echo ok");
        assert_eq!(text(&terminal)[terminal.row - 1], "ok");

        // In the password field BackSpace edits what was typed, unseen.
        let mut terminal = Terminal::new("web-1");
        type_line(&mut terminal, "root");
        for byte in b"ab" {
            terminal.key(u32::from(*byte));
        }
        assert!(!terminal.key(KEY_BACKSPACE));
        assert_eq!(terminal.input, "a");
    }

    #[test]
    fn other_keys_and_key_ups_change_nothing() {
        let mut terminal = logged_in("root");
        let before = text(&terminal);
        for keysym in [
            0xff1b,
            0xff09,
            0xffe1,
            0xff51,
            0x7f,
            0x1f,
            0x0100_00e9,
            u32::MAX,
        ] {
            assert!(!terminal.key(keysym), "{keysym:#x}");
        }
        assert_eq!(text(&terminal), before);
    }

    #[test]
    fn long_lines_wrap_and_backspace_crosses_back() {
        let mut terminal = logged_in("root");
        let prompt = "root@web-1:~# ".len();
        let typed = "echo ".to_owned() + &"y".repeat(COLUMNS);
        for byte in typed.bytes() {
            terminal.key(u32::from(byte));
        }
        let row = terminal.row;
        assert_eq!(terminal.column, prompt + typed.len() - COLUMNS);
        assert_eq!(text(&terminal)[row - 1].len(), COLUMNS);
        for _ in 0..terminal.column + 1 {
            terminal.key(KEY_BACKSPACE);
        }
        assert_eq!((terminal.row, terminal.column), (row - 1, COLUMNS - 1));
        assert_eq!(text(&terminal)[row], "");

        // Input stops at its cap instead of filling the screen.
        for _ in 0..2 * MAX_INPUT {
            terminal.key(u32::from(b'z'));
        }
        assert_eq!(terminal.input.len(), MAX_INPUT);
    }

    #[test]
    fn a_full_screen_scrolls() {
        let mut terminal = logged_in("root");
        for n in 0..30 {
            type_line(&mut terminal, &format!("echo line {n}"));
        }
        let lines = text(&terminal);
        assert_eq!(terminal.row, ROWS - 1);
        assert_eq!(lines[ROWS - 1], "root@web-1:~#");
        assert_eq!(lines[ROWS - 2], "line 29");
        assert_eq!(lines[ROWS - 3], "root@web-1:~# echo line 29");
        assert_eq!(lines[1], "line 18");
        assert_eq!(lines[0], "root@web-1:~# echo line 18");
    }

    #[test]
    fn rows_remember_when_they_changed() {
        let spans = |terminal: &Terminal, seen: u64| -> Vec<(usize, usize)> {
            terminal
                .frame()
                .changed_since(seen)
                .into_iter()
                .map(|run| (run.start, run.end))
                .collect()
        };
        let mut terminal = logged_in("root");
        let seen = terminal.frame().generation;
        assert!(spans(&terminal, seen).is_empty());
        terminal.key(u32::from(b'a'));
        assert_eq!(spans(&terminal, seen), [(terminal.row, terminal.row + 1)]);
        let seen = terminal.frame().generation;
        terminal.key(KEY_RETURN);
        let row = terminal.row;
        // The command's row, the error and the new prompt.
        assert_eq!(spans(&terminal, seen), [(row - 2, row + 1)]);
        // A scroll changes every row.
        for _ in 0..ROWS {
            terminal.key(KEY_RETURN);
        }
        let seen = terminal.frame().generation;
        terminal.key(KEY_RETURN);
        assert_eq!(spans(&terminal, seen), [(0, ROWS)]);
        assert_eq!(spans(&terminal, 0), [(0, ROWS)]);
    }

    #[test]
    fn updates_are_raw_rectangles_of_whole_rows() {
        let terminal = Terminal::new("web-1");
        let frame = terminal.frame();
        let update = frame.update_rows(&[0..2, 5..6], &PixelFormat::SERVER);
        assert_eq!(&update[..4], &[0, 0, 0, 2]);
        assert_eq!(&update[4..16], &[0, 0, 0, 0, 2, 128, 0, 32, 0, 0, 0, 0]);
        let second = 16 + 640 * 32 * 4;
        assert_eq!(
            &update[second..second + 12],
            &[0, 0, 0, 80, 2, 128, 0, 16, 0, 0, 0, 0]
        );
        assert_eq!(update.len(), second + 12 + 640 * 16 * 4);
    }

    #[test]
    fn pixel_formats_are_honoured_or_refused() {
        assert_eq!(
            PixelFormat::parse(&PixelFormat::SERVER.to_wire()),
            Some(PixelFormat::SERVER)
        );
        assert_eq!(PixelFormat::SERVER.encode([1, 2, 3]), [3, 2, 1, 0]);
        assert_eq!(RGBX.encode([1, 2, 3]), [1, 2, 3, 0]);
        let big = PixelFormat {
            big_endian: true,
            ..PixelFormat::SERVER
        };
        assert_eq!(big.encode([1, 2, 3]), [0, 1, 2, 3]);
        // 10 bits per channel.
        let deep = PixelFormat {
            big_endian: false,
            max: [1023, 1023, 1023],
            shift: [20, 10, 0],
        };
        assert_eq!(
            deep.encode([255, 0, 255]),
            (1023u32 << 20 | 1023).to_le_bytes()
        );

        let mut wire = PixelFormat::SERVER.to_wire();
        wire[0] = 16;
        assert_eq!(PixelFormat::parse(&wire), None);
        let mut wire = PixelFormat::SERVER.to_wire();
        wire[3] = 0;
        assert_eq!(PixelFormat::parse(&wire), None);
        let mut wire = PixelFormat::SERVER.to_wire();
        wire[3] = 255;
        assert!(PixelFormat::parse(&wire).is_some());
        wire[10] = 32;
        assert_eq!(PixelFormat::parse(&wire), None);
    }

    #[test]
    fn versions_are_mapped_like_common_servers_do() {
        let parse = |text: &[u8; 12]| parse_version(text);
        assert_eq!(parse(b"RFB 003.008\n"), Some(Version::V3_8));
        assert_eq!(parse(b"RFB 003.007\n"), Some(Version::V3_7));
        assert_eq!(parse(b"RFB 003.003\n"), Some(Version::V3_3));
        assert_eq!(parse(b"RFB 003.006\n"), Some(Version::V3_3));
        assert_eq!(parse(b"RFB 003.889\n"), Some(Version::V3_8));
        assert_eq!(parse(b"RFB 004.001\n"), Some(Version::V3_8));
        assert_eq!(parse(b"RFB 002.000\n"), None);
        assert_eq!(parse(b"RFB 003.+08\n"), None);
        assert_eq!(parse(b"GET / HTTP/1"), None);
    }

    fn messages(stream: &[u8], chunk: usize) -> io::Result<Vec<ClientMessage>> {
        let mut parser = Parser::default();
        let mut found = Vec::new();
        for piece in stream.chunks(chunk) {
            parser.feed(piece);
            while let Some(message) = parser.next()? {
                found.push(message);
            }
            assert!(parser.buffer.len() < 20 + chunk);
        }
        Ok(found)
    }

    #[test]
    fn the_parser_reads_every_message_in_any_chunking() {
        let mut stream = vec![0, 0, 0, 0];
        stream.extend_from_slice(&RGBX.to_wire());
        stream.extend_from_slice(&[2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 16, 0xff, 0xff, 0xff, 0x21]);
        stream.extend_from_slice(&[3, 1, 0, 0, 0, 0, 2, 128, 1, 144]);
        stream.extend_from_slice(&[4, 1, 0, 0, 0, 0, 0xff, 0x0d]);
        stream.extend_from_slice(&[5, 1, 0, 10, 0, 20]);
        stream.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 5]);
        stream.extend_from_slice(b"hello");
        stream.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
        let expected = vec![
            ClientMessage::SetPixelFormat(RGBX),
            ClientMessage::Ignored,
            ClientMessage::UpdateRequest { incremental: true },
            ClientMessage::Key {
                down: true,
                keysym: 0xff0d,
            },
            ClientMessage::Ignored,
            ClientMessage::Ignored,
            ClientMessage::UpdateRequest { incremental: false },
        ];
        for chunk in [1, 3, 7, stream.len()] {
            assert_eq!(
                messages(&stream, chunk).ok(),
                Some(expected.clone()),
                "{chunk}"
            );
        }
    }

    #[test]
    fn the_parser_refuses_what_it_must_not_buffer_or_cannot_serve() {
        let unknown = messages(&[150, 1, 0, 0, 0, 0, 0, 0, 0, 0], 4);
        assert!(unknown.is_err());
        let huge_clipboard = messages(&[6, 0, 0, 0, 0, 0x10, 0, 1], 8);
        assert!(huge_clipboard.is_err());
        let extended_clipboard = messages(&[6, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0], 8);
        assert!(extended_clipboard.is_err());
        let mut eight_bit = vec![0, 0, 0, 0];
        let mut wire = RGBX.to_wire();
        wire[0] = 8;
        eight_bit.extend_from_slice(&wire);
        assert!(messages(&eight_bit, 20).is_err());
        // A clipboard exactly at the cap is read and skipped without being kept.
        let mut parser = Parser::default();
        parser.feed(&[6, 0, 0, 0, 0, 0x10, 0, 0]);
        assert_eq!(parser.next().ok().flatten(), Some(ClientMessage::Ignored));
        for _ in 0..256 {
            parser.feed(&[b'x'; 4096]);
            assert!(parser.buffer.is_empty());
        }
        parser.feed(&[5, 0, 0, 0, 0, 0]);
        assert_eq!(parser.next().ok().flatten(), Some(ClientMessage::Ignored));
    }

    #[test]
    fn passwords_are_eight_alphanumerics_and_differ() {
        let first = random_password().ok().unwrap_or_default();
        let second = random_password().ok().unwrap_or_default();
        assert_eq!(first.len(), PASSWORD_LENGTH);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(first, second);
    }
}
