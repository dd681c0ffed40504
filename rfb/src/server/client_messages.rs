//! The client's messages after the handshake, split and parsed as they arrive.

use crate::messages::{
    CLIENT_CUT_TEXT, CLIENT_FENCE, ENABLE_CONTINUOUS_UPDATES, FRAMEBUFFER_UPDATE_REQUEST,
    KEY_EVENT, POINTER_EVENT, QEMU_CLIENT_MESSAGE, QEMU_EXTENDED_KEY_EVENT_SUBTYPE,
    SET_DESKTOP_SIZE, SET_ENCODINGS, SET_PIXEL_FORMAT,
};
use crate::reader::{Interrupt, Reader, Step};
use crate::{Error, PixelFormat, Rect};

/// Extended Clipboard's "caps" action: the client announcing what it can do, sent on its own
/// at connect time, not because anyone pasted.
const EXTENDED_CLIPBOARD_CAPS: u32 = 1 << 24;

/// One message from a client. Bodies no server here reads (the encoding list, clipboard
/// text, screen layouts) are skipped as they arrive rather than kept; their sizes are given,
/// so a server can still refuse what is too big.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    SetPixelFormat(PixelFormat),
    /// SetEncodings with this many encodings.
    SetEncodings {
        count: u16,
    },
    FramebufferUpdateRequest {
        incremental: bool,
        area: Rect,
    },
    Key {
        down: bool,
        keysym: u32,
    },
    Pointer {
        buttons: u8,
        x: u16,
        y: u16,
    },
    /// ClientCutText with `length` bytes of Latin-1 text.
    CutText {
        length: u32,
    },
    /// ClientCutText with a negative length: Extended Clipboard, `length` (the absolute value)
    /// bytes of which the first four are these action and format flags.
    ExtendedClipboard {
        flags: u32,
        length: u32,
    },
    EnableContinuousUpdates {
        enable: bool,
        area: Rect,
    },
    Fence {
        flags: u32,
        payload: Vec<u8>,
    },
    /// SetDesktopSize, with the layout of this many screens.
    SetDesktopSize {
        width: u16,
        height: u16,
        screens: u8,
    },
    /// QEMU's Extended Key Event: a PC/XT scancode with its keysym.
    QemuExtendedKey {
        down: bool,
        keysym: u32,
        scancode: u32,
    },
}

impl ClientMessage {
    /// Whether a person did something: a key, the pointer, a paste. Everything else a viewer
    /// sends on its own (update requests after every update, fences, capabilities).
    pub fn is_user_input(&self) -> bool {
        match self {
            ClientMessage::Key { .. }
            | ClientMessage::Pointer { .. }
            | ClientMessage::CutText { .. }
            | ClientMessage::QemuExtendedKey { .. } => true,
            ClientMessage::ExtendedClipboard { flags, .. } => flags & EXTENDED_CLIPBOARD_CAPS == 0,
            ClientMessage::SetPixelFormat(_)
            | ClientMessage::SetEncodings { .. }
            | ClientMessage::FramebufferUpdateRequest { .. }
            | ClientMessage::EnableContinuousUpdates { .. }
            | ClientMessage::Fence { .. }
            | ClientMessage::SetDesktopSize { .. } => false,
        }
    }
}

/// Splits the client's byte stream into [`ClientMessage`]s. Skipped bodies are dropped as they
/// arrive, so the buffer never holds more than one fed chunk plus one message header (at most
/// 264 bytes, a fence).
#[derive(Debug, Default)]
pub struct ClientMessages {
    input: Vec<u8>,
    /// Body bytes still to drop; while non-zero the input is empty.
    skip: u64,
    failed: Option<Error>,
}

impl ClientMessages {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes from the client, in chunks of any size.
    pub fn feed(&mut self, data: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        let skipped = usize::try_from(self.skip)
            .unwrap_or(usize::MAX)
            .min(data.len());
        self.skip -= skipped as u64;
        self.input.extend_from_slice(&data[skipped..]);
    }

    /// The next complete message, `None` until more bytes arrive. A message this parser does
    /// not know is an error, since the stream cannot be followed past it; after an error,
    /// every later call returns it again.
    pub fn next_message(&mut self) -> Result<Option<ClientMessage>, Error> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let mut reader = Reader::new(&self.input);
        let parsed = message(&mut reader);
        let consumed = reader.consumed();
        match parsed {
            Ok((message, body)) => {
                self.input.drain(..consumed);
                let dropped = usize::try_from(body)
                    .unwrap_or(usize::MAX)
                    .min(self.input.len());
                self.input.drain(..dropped);
                self.skip = body - dropped as u64;
                Ok(Some(message))
            }
            Err(Interrupt::Incomplete) => Ok(None),
            Err(Interrupt::Fatal(error)) => {
                self.failed = Some(error.clone());
                self.input = Vec::new();
                Err(error)
            }
        }
    }
}

/// One message, and how many body bytes after it are to be skipped.
fn message(reader: &mut Reader<'_>) -> Step<(ClientMessage, u64)> {
    let kind = reader.u8()?;
    let parsed = match kind {
        SET_PIXEL_FORMAT => {
            reader.skip(3)?;
            ClientMessage::SetPixelFormat(PixelFormat::from_wire(&reader.array()?))
        }
        SET_ENCODINGS => {
            reader.skip(1)?;
            let count = reader.u16()?;
            return Ok((ClientMessage::SetEncodings { count }, 4 * u64::from(count)));
        }
        FRAMEBUFFER_UPDATE_REQUEST => ClientMessage::FramebufferUpdateRequest {
            incremental: reader.u8()? != 0,
            area: rect(reader)?,
        },
        KEY_EVENT => {
            let down = reader.u8()? != 0;
            reader.skip(2)?;
            ClientMessage::Key {
                down,
                keysym: reader.u32()?,
            }
        }
        POINTER_EVENT => ClientMessage::Pointer {
            buttons: reader.u8()?,
            x: reader.u16()?,
            y: reader.u16()?,
        },
        CLIENT_CUT_TEXT => {
            reader.skip(3)?;
            let length = reader.i32()?;
            if length >= 0 {
                let length = length.unsigned_abs();
                return Ok((ClientMessage::CutText { length }, u64::from(length)));
            }
            // The length is signed: negative means Extended Clipboard with |length| bytes,
            // which start with the flags (noVNC sends these to QEMU).
            let length = length.unsigned_abs();
            if length < 4 {
                return Err(Error::MalformedMessage {
                    what: "Extended Clipboard message without its flags",
                }
                .into());
            }
            let flags = reader.u32()?;
            return Ok((
                ClientMessage::ExtendedClipboard { flags, length },
                u64::from(length - 4),
            ));
        }
        ENABLE_CONTINUOUS_UPDATES => ClientMessage::EnableContinuousUpdates {
            enable: reader.u8()? != 0,
            area: rect(reader)?,
        },
        CLIENT_FENCE => {
            reader.skip(3)?;
            let flags = reader.u32()?;
            let length = reader.u8()?;
            ClientMessage::Fence {
                flags,
                payload: reader.bytes(usize::from(length))?.to_vec(),
            }
        }
        SET_DESKTOP_SIZE => {
            reader.skip(1)?;
            let width = reader.u16()?;
            let height = reader.u16()?;
            let screens = reader.u8()?;
            reader.skip(1)?;
            return Ok((
                ClientMessage::SetDesktopSize {
                    width,
                    height,
                    screens,
                },
                16 * u64::from(screens),
            ));
        }
        QEMU_CLIENT_MESSAGE => match reader.u8()? {
            QEMU_EXTENDED_KEY_EVENT_SUBTYPE => ClientMessage::QemuExtendedKey {
                down: reader.u16()? != 0,
                keysym: reader.u32()?,
                scancode: reader.u32()?,
            },
            other => return Err(Error::UnknownQemuMessage(other).into()),
        },
        other => return Err(Error::UnknownMessageType(other).into()),
    };
    Ok((parsed, 0))
}

fn rect(reader: &mut Reader<'_>) -> Step<Rect> {
    Ok(Rect {
        x: reader.u16()?,
        y: reader.u16()?,
        width: reader.u16()?,
        height: reader.u16()?,
    })
}
