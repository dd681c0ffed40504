//! A sans-I/O RFB (VNC) codec: a client, and the server half in [`server`].
//!
//! [`Client`] is fed the bytes received from a VNC server, in chunks of any size, and in turn
//! queues [`Event`]s and bytes to send back. It keeps the remote screen as an RGBA
//! [`Framebuffer`] that it paints itself. It never touches a socket, a clock or a thread, so the
//! same code runs in a browser (wasm32, behind a WebSocket) and on the server (behind TCP).
//!
//! ```
//! use rfb::{Client, Config, Event};
//!
//! let mut client = Client::new(Config::default());
//! client.feed(b"RFB 003.008\n").unwrap();
//! assert_eq!(client.take_outgoing(), b"RFB 003.008\n");
//! // ...write outgoing bytes to the socket, feed what comes back, handle events:
//! while let Some(event) = client.next_event() {
//!     if let Event::FramebufferUpdated { rects } = event {
//!         // copy `rects` of client.framebuffer().rgba() to the canvas
//!         let _ = rects;
//!     }
//! }
//! ```

mod auth;
mod client;
mod decode;
mod encoding;
mod error;
mod framebuffer;
mod messages;
mod pixel_format;
mod reader;
pub mod server;
mod version;

pub use auth::{Password, challenge_response};
pub use client::Client;
pub use encoding::Encoding;
pub use error::Error;
pub use framebuffer::Framebuffer;
pub use pixel_format::PixelFormat;
pub use version::Version;

/// A rectangle of framebuffer pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rect {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Rect {
    /// Number of pixels.
    pub fn area(&self) -> usize {
        usize::from(self.width) * usize::from(self.height)
    }
}

/// The pointer image the server wants drawn at the mouse position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorShape {
    /// Where in the image the pointer's tip is.
    pub hotspot_x: u16,
    pub hotspot_y: u16,
    pub width: u16,
    pub height: u16,
    /// `width * height` RGBA pixels; alpha is 0 where the cursor is transparent, 255 elsewhere.
    /// Empty (0x0) means the server wants no pointer drawn.
    pub rgba: Vec<u8>,
}

/// Something that happened on the connection. Drained with [`Client::next_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server wants VNC Authentication and no password was configured: answer with
    /// [`Client::send_password`].
    PasswordRequired,
    /// The handshake is done; the framebuffer has this size and a full update was requested.
    Connected {
        width: u16,
        height: u16,
        name: String,
    },
    /// One FramebufferUpdate was applied; these areas of [`Client::framebuffer`] changed.
    FramebufferUpdated {
        rects: Vec<Rect>,
    },
    /// The framebuffer changed size (and was cleared); a full update has been requested.
    Resized {
        width: u16,
        height: u16,
    },
    /// A new pointer image.
    Cursor(CursorShape),
    Bell,
    /// The server's clipboard changed.
    ServerCutText(String),
    DesktopName(String),
    /// The server accepts raw scancodes, so [`Client::key_scancode`] now sends them instead
    /// of plain keysyms (QEMU).
    ExtendedKeyEventsAvailable,
}

/// Caps on what a server may make the client allocate or wait for. Data beyond them is an
/// [`Error`], never an allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_width: u16,
    pub max_height: u16,
    /// Server cut text (clipboard) bytes.
    pub max_cut_text: usize,
    /// Desktop names and failure reasons.
    pub max_text: usize,
    /// Width and height of a cursor image.
    pub max_cursor_side: u16,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_width: 8192,
            max_height: 8192,
            max_cut_text: 1024 * 1024,
            max_text: 64 * 1024,
            max_cursor_side: 512,
        }
    }
}

/// How the client connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Used for VNC Authentication. Without it the client emits [`Event::PasswordRequired`].
    pub password: Option<Password>,
    /// ClientInit's shared flag: true keeps other viewers connected.
    pub shared: bool,
    /// Offered in SetEncodings, in order of preference. Raw is always understood, listed or not.
    pub encodings: Vec<Encoding>,
    /// Send an incremental FramebufferUpdateRequest after every update, the usual way to keep
    /// the screen live (servers may answer a request with pseudo-rectangles only).
    pub auto_request_updates: bool,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            password: None,
            shared: true,
            encodings: Encoding::default_preference(),
            auto_request_updates: true,
            limits: Limits::default(),
        }
    }
}
