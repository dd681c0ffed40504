//! The connection state machine: handshake, then server messages, then client messages.

use std::collections::VecDeque;

use crate::auth::{Password, SECURITY_NONE, SECURITY_VNC_AUTHENTICATION, challenge_response};
use crate::decode::hextile::HextileProgress;
use crate::decode::zrle::{ZrleDecoder, max_compressed_len};
use crate::decode::{RawProgress, RreProgress, copy_rect, cursor};
use crate::encoding;
use crate::framebuffer::Framebuffer;
use crate::reader::{
    Interrupt, Reader, Step, check_length, latin1_to_string, length_prefixed_text,
};
use crate::{Config, Error, Event, Rect, Version, messages};

const FRAMEBUFFER_UPDATE: u8 = 0;
const SET_COLOUR_MAP_ENTRIES: u8 = 1;
const BELL: u8 = 2;
const SERVER_CUT_TEXT: u8 = 3;
const END_OF_CONTINUOUS_UPDATES: u8 = 150;
const SERVER_FENCE: u8 = 248;

/// Set in a fence the peer must answer; the answer carries the same payload with the bit clear.
const FENCE_REQUEST: u32 = 0x8000_0000;
/// The fence flags a client may echo back (BlockBefore, BlockAfter, SyncNext).
const FENCE_ECHOED_FLAGS: u32 = 0b111;

#[derive(Debug)]
enum State {
    ProtocolVersion,
    SecurityTypes,
    /// RFB 3.3: the server decides the security type alone.
    SecurityType33,
    VncChallenge,
    AwaitingPassword {
        challenge: [u8; 16],
    },
    SecurityResult,
    ServerInit,
    Connected(Phase),
    Failed(Error),
}

#[derive(Debug)]
enum Phase {
    /// Waiting for the type byte of the next server message.
    MessageStart,
    Update(Update),
    /// Discarding a message body the client has no use for, as it arrives.
    Skipping {
        bytes_left: u64,
    },
}

#[derive(Debug)]
struct Update {
    rects_left: u16,
    changed: Vec<Rect>,
    resized: bool,
    current: Option<PartialRect>,
}

/// A rectangle whose data is decoded piece by piece as it arrives.
#[derive(Debug)]
enum PartialRect {
    Raw(RawProgress),
    Rre(RreProgress),
    Hextile(HextileProgress),
}

/// An RFB client without I/O: [`Client::feed`] it received bytes, send what
/// [`Client::take_outgoing`] returns, handle what [`Client::next_event`] yields.
#[derive(Debug)]
pub struct Client {
    state: State,
    input: InputBuffer,
    session: Session,
}

/// Everything the state machine reads and writes apart from its state and the input, kept
/// apart so a parse step can borrow the input while it updates the rest.
#[derive(Debug)]
struct Session {
    config: Config,
    version: Version,
    outgoing: Vec<u8>,
    events: VecDeque<Event>,
    framebuffer: Framebuffer,
    zrle: ZrleDecoder,
    extended_key_events: bool,
}

#[derive(Debug, Default)]
struct InputBuffer {
    bytes: Vec<u8>,
    start: usize,
}

impl InputBuffer {
    fn unread(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    fn consume(&mut self, count: usize) {
        self.start += count;
    }

    /// Drops consumed bytes once per feed, so feeding byte by byte stays linear.
    fn compact(&mut self) {
        if self.start > 0 {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
    }
}

impl Client {
    pub fn new(config: Config) -> Self {
        Client {
            state: State::ProtocolVersion,
            input: InputBuffer::default(),
            session: Session {
                config,
                version: Version::V3_8,
                outgoing: Vec::new(),
                events: VecDeque::new(),
                framebuffer: Framebuffer::new(0, 0),
                zrle: ZrleDecoder::default(),
                extended_key_events: false,
            },
        }
    }

    /// Processes bytes received from the server, in chunks of any size. Returns the error that
    /// ended the connection; after one, every later call returns it again.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Error> {
        if let State::Failed(error) = &self.state {
            return Err(error.clone());
        }
        self.input.bytes.extend_from_slice(data);
        loop {
            let mut reader = Reader::new(self.input.unread());
            match self.session.advance(&mut self.state, &mut reader) {
                Ok(()) => {
                    let consumed = reader.consumed();
                    self.input.consume(consumed);
                }
                Err(Interrupt::Incomplete) => break,
                Err(Interrupt::Fatal(error)) => {
                    self.state = State::Failed(error.clone());
                    self.input = InputBuffer::default();
                    return Err(error);
                }
            }
        }
        self.input.compact();
        Ok(())
    }

    /// The next event, oldest first.
    pub fn next_event(&mut self) -> Option<Event> {
        self.session.events.pop_front()
    }

    /// Bytes to send to the server, in order; the client forgets them once taken.
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.session.outgoing)
    }

    /// The remote screen as last decoded.
    pub fn framebuffer(&self) -> &Framebuffer {
        &self.session.framebuffer
    }

    /// True once the handshake has finished and until the connection fails.
    pub fn is_connected(&self) -> bool {
        matches!(self.state, State::Connected(_))
    }

    /// True once the server has said it accepts QEMU extended key events.
    pub fn extended_key_events_available(&self) -> bool {
        self.session.extended_key_events
    }

    /// Answers VNC Authentication after [`Event::PasswordRequired`].
    pub fn send_password(&mut self, password: &Password) -> Result<(), Error> {
        let State::AwaitingPassword { challenge } = self.state else {
            return Err(Error::PasswordNotExpected);
        };
        let response = challenge_response(password, &challenge);
        self.session.outgoing.extend_from_slice(&response);
        self.state = State::SecurityResult;
        // The server's answer may already be buffered.
        self.feed(&[])
    }

    fn require_connected(&self) -> Result<(), Error> {
        if self.is_connected() {
            Ok(())
        } else {
            Err(Error::NotConnected)
        }
    }

    /// Presses or releases the key with this X11 keysym.
    pub fn key(&mut self, keysym: u32, down: bool) -> Result<(), Error> {
        self.require_connected()?;
        messages::key_event(&mut self.session.outgoing, keysym, down);
        Ok(())
    }

    /// Presses or releases a physical key given by its PC/XT scancode (`0x1E` for A; extended
    /// keys as `0xE0xx` or already as QEMU's `0x80 | xx`) together with its keysym. Sends the
    /// scancode when the server accepts QEMU extended key events, so the guest's keyboard
    /// layout applies, and the keysym alone otherwise.
    pub fn key_scancode(&mut self, keysym: u32, scancode: u32, down: bool) -> Result<(), Error> {
        self.require_connected()?;
        if self.session.extended_key_events {
            messages::qemu_extended_key_event(&mut self.session.outgoing, keysym, scancode, down);
        } else {
            messages::key_event(&mut self.session.outgoing, keysym, down);
        }
        Ok(())
    }

    /// Moves the pointer to (x, y) with these buttons held: bit 0 left, 1 middle, 2 right,
    /// 3 and 4 wheel up and down. Coordinates are clamped to the framebuffer.
    pub fn pointer(&mut self, x: u16, y: u16, buttons: u8) -> Result<(), Error> {
        self.require_connected()?;
        let framebuffer = &self.session.framebuffer;
        let x = x.min(framebuffer.width().saturating_sub(1));
        let y = y.min(framebuffer.height().saturating_sub(1));
        messages::pointer_event(&mut self.session.outgoing, x, y, buttons);
        Ok(())
    }

    /// Sets the server's clipboard. RFB carries Latin-1 only: other characters become '?'.
    pub fn cut_text(&mut self, text: &str) -> Result<(), Error> {
        self.require_connected()?;
        messages::client_cut_text(&mut self.session.outgoing, text);
        Ok(())
    }

    /// Asks for the whole screen: only what changed when `incremental`, everything otherwise.
    pub fn request_update(&mut self, incremental: bool) -> Result<(), Error> {
        self.require_connected()?;
        self.session.request_update(incremental);
        Ok(())
    }
}

impl Session {
    fn request_update(&mut self, incremental: bool) {
        let area = Rect {
            x: 0,
            y: 0,
            width: self.framebuffer.width(),
            height: self.framebuffer.height(),
        };
        messages::framebuffer_update_request(&mut self.outgoing, incremental, area);
    }

    /// Runs one parse step. On `Ok` the step is done and the reader's bytes are consumed; on
    /// `Incomplete` nothing was changed. Every `Ok` either consumes input or moves the state
    /// forward, so the feed loop always ends.
    fn advance(&mut self, state: &mut State, reader: &mut Reader<'_>) -> Step<()> {
        match state {
            State::ProtocolVersion => {
                self.version = Version::from_wire(&reader.array::<12>()?)?;
                self.outgoing.extend_from_slice(self.version.to_wire());
                *state = if self.version == Version::V3_3 {
                    State::SecurityType33
                } else {
                    State::SecurityTypes
                };
            }
            State::SecurityTypes => {
                let count = reader.u8()?;
                if count == 0 {
                    return Err(self.refusal(reader)?);
                }
                let offered = reader.bytes(usize::from(count))?;
                let chosen = if offered.contains(&SECURITY_NONE) {
                    SECURITY_NONE
                } else if offered.contains(&SECURITY_VNC_AUTHENTICATION) {
                    SECURITY_VNC_AUTHENTICATION
                } else {
                    return Err(Error::NoSupportedSecurityType {
                        offered: offered.iter().map(|&kind| u32::from(kind)).collect(),
                    }
                    .into());
                };
                self.outgoing.push(chosen);
                *state = self.after_security_choice(chosen);
            }
            State::SecurityType33 => {
                let chosen = reader.u32()?;
                match chosen {
                    0 => return Err(self.refusal(reader)?),
                    1 | 2 => *state = self.after_security_choice(chosen as u8),
                    other => {
                        return Err(Error::NoSupportedSecurityType {
                            offered: vec![other],
                        }
                        .into());
                    }
                }
            }
            State::VncChallenge => {
                let challenge = reader.array::<16>()?;
                match &self.config.password {
                    Some(password) => {
                        let response = challenge_response(password, &challenge);
                        self.outgoing.extend_from_slice(&response);
                        *state = State::SecurityResult;
                    }
                    None => {
                        self.events.push_back(Event::PasswordRequired);
                        *state = State::AwaitingPassword { challenge };
                    }
                }
            }
            State::AwaitingPassword { .. } => return Err(Interrupt::Incomplete),
            State::SecurityResult => {
                if reader.u32()? != 0 {
                    // Only 3.8 explains a failure.
                    let reason = if self.version == Version::V3_8 {
                        length_prefixed_text(reader, "failure reason", self.config.limits.max_text)?
                    } else {
                        String::from("the server gave no reason")
                    };
                    return Err(Error::AuthenticationFailed { reason }.into());
                }
                self.send_client_init();
                *state = State::ServerInit;
            }
            State::ServerInit => {
                let width = reader.u16()?;
                let height = reader.u16()?;
                // The server's own pixel format does not matter: SetPixelFormat replaces it
                // before any pixel is requested.
                reader.skip(16)?;
                let name =
                    length_prefixed_text(reader, "desktop name", self.config.limits.max_text)?;
                self.check_size(width, height)?;
                self.framebuffer.resize(width, height);
                messages::set_pixel_format(&mut self.outgoing);
                let encodings = self.encoding_numbers();
                messages::set_encodings(&mut self.outgoing, &encodings);
                self.request_update(false);
                self.events.push_back(Event::Connected {
                    width,
                    height,
                    name,
                });
                *state = State::Connected(Phase::MessageStart);
            }
            State::Connected(phase) => self.advance_connected(phase, reader)?,
            // `feed` returns before stepping a failed client.
            State::Failed(error) => return Err(error.clone().into()),
        }
        Ok(())
    }

    fn after_security_choice(&mut self, chosen: u8) -> State {
        match (chosen, self.version) {
            (SECURITY_VNC_AUTHENTICATION, _) => State::VncChallenge,
            (_, Version::V3_8) => State::SecurityResult,
            // Before 3.8 the server sends no SecurityResult for None: initialise right away.
            _ => {
                self.send_client_init();
                State::ServerInit
            }
        }
    }

    fn send_client_init(&mut self) {
        self.outgoing.push(u8::from(self.config.shared));
    }

    /// Reads the reason after a security-type count of zero (or type 0 on 3.3).
    fn refusal(&self, reader: &mut Reader<'_>) -> Step<Interrupt> {
        let reason = length_prefixed_text(reader, "refusal reason", self.config.limits.max_text)?;
        Ok(Error::ServerRefused { reason }.into())
    }

    fn encoding_numbers(&self) -> Vec<i32> {
        let mut numbers: Vec<i32> = Vec::new();
        for encoding in &self.config.encodings {
            let number = encoding.number();
            if !numbers.contains(&number) {
                numbers.push(number);
            }
        }
        numbers
    }

    fn check_size(&self, width: u16, height: u16) -> Result<(), Error> {
        let limits = &self.config.limits;
        if width > limits.max_width || height > limits.max_height {
            return Err(Error::FramebufferTooLarge {
                width,
                height,
                max_width: limits.max_width,
                max_height: limits.max_height,
            });
        }
        Ok(())
    }

    fn advance_connected(&mut self, phase: &mut Phase, reader: &mut Reader<'_>) -> Step<()> {
        match phase {
            Phase::MessageStart => *phase = self.message(reader)?,
            Phase::Update(update) => {
                if self.advance_update(update, reader)? {
                    let update = std::mem::replace(phase, Phase::MessageStart);
                    if let Phase::Update(update) = update {
                        self.finish_update(update);
                    }
                }
            }
            Phase::Skipping { bytes_left } => {
                let available = (reader.remaining() as u64).min(*bytes_left);
                if available == 0 && *bytes_left > 0 {
                    return Err(Interrupt::Incomplete);
                }
                reader.skip(available as usize)?;
                *bytes_left -= available;
                if *bytes_left == 0 {
                    *phase = Phase::MessageStart;
                }
            }
        }
        Ok(())
    }

    /// Parses the start of a server message (all of it, for short messages) and says what
    /// comes next.
    fn message(&mut self, reader: &mut Reader<'_>) -> Step<Phase> {
        let limits = &self.config.limits;
        match reader.u8()? {
            FRAMEBUFFER_UPDATE => {
                reader.skip(1)?;
                let rects_left = reader.u16()?;
                Ok(Phase::Update(Update {
                    rects_left,
                    changed: Vec::new(),
                    resized: false,
                    current: None,
                }))
            }
            SET_COLOUR_MAP_ENTRIES => {
                // Only sent for colour-mapped pixel formats, which this client never sets;
                // tolerated because the length is known.
                reader.skip(3)?;
                let colours = reader.u16()?;
                Ok(skip(u64::from(colours) * 6))
            }
            BELL => {
                self.events.push_back(Event::Bell);
                Ok(Phase::MessageStart)
            }
            SERVER_CUT_TEXT => {
                reader.skip(3)?;
                let length = reader.i32()?;
                check_length(
                    "server cut text",
                    u64::from(length.unsigned_abs()),
                    limits.max_cut_text,
                )?;
                if length < 0 {
                    // Extended Clipboard capabilities (TigerVNC, QEMU send them unasked);
                    // this client does not do Extended Clipboard, so they are skipped.
                    return Ok(skip(u64::from(length.unsigned_abs())));
                }
                let text = latin1_to_string(reader.bytes(length as usize)?);
                self.events.push_back(Event::ServerCutText(text));
                Ok(Phase::MessageStart)
            }
            END_OF_CONTINUOUS_UPDATES => Ok(Phase::MessageStart),
            SERVER_FENCE => {
                reader.skip(3)?;
                let flags = reader.u32()?;
                let length = reader.u8()?;
                let payload = reader.bytes(usize::from(length))?;
                // TigerVNC withholds pixel data until its fence request is answered.
                if flags & FENCE_REQUEST != 0 {
                    messages::client_fence(&mut self.outgoing, flags & FENCE_ECHOED_FLAGS, payload);
                }
                Ok(Phase::MessageStart)
            }
            other => Err(Error::UnknownMessageType(other).into()),
        }
    }

    /// Advances the update by one rectangle or one piece of one; true when it is complete.
    fn advance_update(&mut self, update: &mut Update, reader: &mut Reader<'_>) -> Step<bool> {
        if let Some(current) = &mut update.current {
            let framebuffer = &mut self.framebuffer;
            let finished = match current {
                PartialRect::Raw(progress) => progress.advance(reader, framebuffer)?,
                PartialRect::Rre(progress) => progress.advance(reader, framebuffer)?,
                PartialRect::Hextile(progress) => progress.advance(reader, framebuffer)?,
            };
            if finished {
                update.current = None;
            }
            return Ok(false);
        }
        if update.rects_left == 0 {
            return Ok(true);
        }
        let rect = Rect {
            x: reader.u16()?,
            y: reader.u16()?,
            width: reader.u16()?,
            height: reader.u16()?,
        };
        let encoding = reader.i32()?;
        let mut last_rect = false;
        match encoding {
            encoding::RAW
            | encoding::COPY_RECT
            | encoding::RRE
            | encoding::HEXTILE
            | encoding::ZRLE => {
                self.framebuffer.check_contains(rect)?;
                update.current = self.pixel_rect(encoding, rect, reader)?;
                update.changed.push(rect);
            }
            encoding::DESKTOP_SIZE => {
                self.resize(update, rect.width, rect.height)?;
            }
            encoding::EXTENDED_DESKTOP_SIZE => {
                let screens = reader.u8()?;
                reader.skip(3 + usize::from(screens) * 16)?;
                // x is who asked for the change and y the outcome; a failed request from this
                // client (y != 0) leaves the size as it was.
                if rect.y == 0 {
                    self.resize(update, rect.width, rect.height)?;
                }
            }
            encoding::CURSOR => {
                let shape = cursor(reader, rect, &self.config.limits)?;
                self.events.push_back(Event::Cursor(shape));
            }
            encoding::DESKTOP_NAME => {
                let name =
                    length_prefixed_text(reader, "desktop name", self.config.limits.max_text)?;
                self.events.push_back(Event::DesktopName(name));
            }
            encoding::QEMU_EXTENDED_KEY_EVENT => {
                if !self.extended_key_events {
                    self.extended_key_events = true;
                    self.events.push_back(Event::ExtendedKeyEventsAvailable);
                }
            }
            encoding::LAST_RECT => last_rect = true,
            other => return Err(Error::UnsupportedEncoding(other).into()),
        }
        update.rects_left = if last_rect { 0 } else { update.rects_left - 1 };
        Ok(false)
    }

    /// Decodes a pixel rectangle whole, or starts decoding it piece by piece.
    fn pixel_rect(
        &mut self,
        encoding: i32,
        rect: Rect,
        reader: &mut Reader<'_>,
    ) -> Step<Option<PartialRect>> {
        let framebuffer = &mut self.framebuffer;
        Ok(match encoding {
            encoding::RAW if rect.area() > 0 => Some(PartialRect::Raw(RawProgress {
                rect,
                pixels_done: 0,
            })),
            encoding::COPY_RECT => {
                copy_rect(reader, rect, framebuffer)?;
                None
            }
            encoding::RRE => {
                let progress = RreProgress::start(reader, rect, framebuffer)?;
                (progress.subrects_left > 0).then_some(PartialRect::Rre(progress))
            }
            encoding::HEXTILE if rect.area() > 0 => {
                Some(PartialRect::Hextile(HextileProgress::new(rect)))
            }
            encoding::ZRLE => {
                let length = reader.u32()?;
                check_length(
                    "ZRLE rectangle",
                    u64::from(length),
                    max_compressed_len(rect),
                )?;
                let compressed = reader.bytes(length as usize)?;
                self.zrle.decode(compressed, rect, framebuffer)?;
                None
            }
            _ => None,
        })
    }

    fn resize(&mut self, update: &mut Update, width: u16, height: u16) -> Result<(), Error> {
        if (width, height) == (self.framebuffer.width(), self.framebuffer.height()) {
            return Ok(());
        }
        self.check_size(width, height)?;
        self.framebuffer.resize(width, height);
        // Areas painted before the resize are gone.
        update.changed.clear();
        update.resized = true;
        self.events.push_back(Event::Resized { width, height });
        Ok(())
    }

    fn finish_update(&mut self, update: Update) {
        let rects: Vec<Rect> = update
            .changed
            .into_iter()
            .filter(|rect| rect.area() > 0)
            .collect();
        if !rects.is_empty() {
            self.events.push_back(Event::FramebufferUpdated { rects });
        }
        if self.config.auto_request_updates {
            // After a resize the new framebuffer is blank: ask for all of it.
            self.request_update(!update.resized);
        }
    }
}

fn skip(bytes: u64) -> Phase {
    if bytes == 0 {
        Phase::MessageStart
    } else {
        Phase::Skipping { bytes_left: bytes }
    }
}
