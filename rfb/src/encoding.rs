//! Encodings and pseudo-encodings this client can decode, with their wire numbers.

/// An encoding the client may offer in SetEncodings. Only what the decoders understand is
/// listed, so a server can never be invited to send data this client cannot parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Raw,
    CopyRect,
    Rre,
    Hextile,
    Zrle,
    /// Pseudo-encoding: the server announces a new framebuffer size.
    DesktopSize,
    /// Pseudo-encoding: size changes with screen layout (TigerVNC, QEMU).
    ExtendedDesktopSize,
    /// Pseudo-encoding: the server sends the pointer shape so the browser draws it locally.
    Cursor,
    /// Pseudo-encoding: ends an update early, for servers that do not know the count upfront.
    LastRect,
    /// Pseudo-encoding: the server announces a new desktop name.
    DesktopName,
    /// Pseudo-encoding: QEMU accepts raw keyboard scancodes (message 255, sub-type 0).
    QemuExtendedKeyEvent,
    /// Pseudo-encoding: fences. TigerVNC withholds pixels until a fence request is answered,
    /// which this client always does.
    Fence,
}

impl Encoding {
    /// The signed 32-bit number used on the wire.
    pub fn number(self) -> i32 {
        match self {
            Encoding::Raw => RAW,
            Encoding::CopyRect => COPY_RECT,
            Encoding::Rre => RRE,
            Encoding::Hextile => HEXTILE,
            Encoding::Zrle => ZRLE,
            Encoding::DesktopSize => DESKTOP_SIZE,
            Encoding::ExtendedDesktopSize => EXTENDED_DESKTOP_SIZE,
            Encoding::Cursor => CURSOR,
            Encoding::LastRect => LAST_RECT,
            Encoding::DesktopName => DESKTOP_NAME,
            Encoding::QemuExtendedKeyEvent => QEMU_EXTENDED_KEY_EVENT,
            Encoding::Fence => FENCE,
        }
    }

    /// What a browser console wants: the most compact lossless encodings first (the server
    /// picks the first one it supports for each rectangle), then every pseudo-encoding.
    pub fn default_preference() -> Vec<Encoding> {
        vec![
            Encoding::CopyRect,
            Encoding::Zrle,
            Encoding::Hextile,
            Encoding::Rre,
            Encoding::Raw,
            Encoding::DesktopSize,
            Encoding::ExtendedDesktopSize,
            Encoding::LastRect,
            Encoding::DesktopName,
            Encoding::Cursor,
            Encoding::QemuExtendedKeyEvent,
            Encoding::Fence,
        ]
    }
}

pub(crate) const RAW: i32 = 0;
pub(crate) const COPY_RECT: i32 = 1;
pub(crate) const RRE: i32 = 2;
pub(crate) const HEXTILE: i32 = 5;
pub(crate) const ZRLE: i32 = 16;
pub(crate) const DESKTOP_SIZE: i32 = -223;
pub(crate) const LAST_RECT: i32 = -224;
pub(crate) const CURSOR: i32 = -239;
pub(crate) const QEMU_EXTENDED_KEY_EVENT: i32 = -258;
pub(crate) const DESKTOP_NAME: i32 = -307;
pub(crate) const EXTENDED_DESKTOP_SIZE: i32 = -308;
pub(crate) const FENCE: i32 = -312;
