//! The one error type of the crate: every way a peer (or the caller) can break the protocol.

/// Why the connection cannot go on. Once [`crate::Client::feed`] (or the server half's `feed`
/// and `next_message`) has returned an error it stays failed and returns the same error again:
/// the byte stream cannot be resynchronised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("the peer's greeting is not an RFB protocol version: {0:?}")]
    BadVersionString(String),
    #[error("RFB protocol version {major}.{minor} is not supported")]
    UnsupportedVersion { major: u16, minor: u16 },
    #[error("the server refused the connection: {reason}")]
    ServerRefused { reason: String },
    #[error(
        "none of the offered security types {offered:?} is supported (None and VNC Authentication are)"
    )]
    NoSupportedSecurityType { offered: Vec<u32> },
    #[error("authentication failed: {reason}")]
    AuthenticationFailed { reason: String },
    #[error("framebuffer of {width}x{height} exceeds the limit of {max_width}x{max_height}")]
    FramebufferTooLarge {
        width: u16,
        height: u16,
        max_width: u16,
        max_height: u16,
    },
    #[error("{what} of {length} bytes exceeds the limit of {limit}")]
    TooLong {
        what: &'static str,
        length: u64,
        limit: u64,
    },
    #[error(
        "rectangle {width}x{height} at ({x},{y}) lies outside the {fb_width}x{fb_height} framebuffer"
    )]
    RectangleOutOfBounds {
        x: u16,
        y: u16,
        width: u16,
        height: u16,
        fb_width: u16,
        fb_height: u16,
    },
    #[error("the server sent a rectangle in encoding {0}, which this client cannot decode")]
    UnsupportedEncoding(i32),
    #[error("the peer sent message type {0}, which is not understood")]
    UnknownMessageType(u8),
    #[error("the client sent QEMU message sub-type {0}, which is not understood")]
    UnknownQemuMessage(u8),
    #[error("malformed message: {what}")]
    MalformedMessage { what: &'static str },
    #[error("the client chose security type {0}, which was not offered")]
    SecurityTypeNotOffered(u8),
    #[error("the handshake is over: the client's messages go to `ClientMessages`")]
    HandshakeOver,
    #[error("invalid {encoding} data: {detail}")]
    InvalidEncodingData {
        encoding: &'static str,
        detail: &'static str,
    },
    #[error("the ZRLE zlib stream is corrupt: {0}")]
    Zlib(String),
    #[error("the connection is not established yet")]
    NotConnected,
    #[error("the server is not waiting for a password")]
    PasswordNotExpected,
}
