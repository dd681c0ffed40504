//! The server half, without I/O: the version and security handshake as the side that is
//! connected to ([`Handshake`]), ServerInit ([`server_init`]), and the client's messages split
//! and parsed ([`ClientMessages`]).
//!
//! Two servers use it: the console proxy, which plays the server towards the browser and hands
//! what follows the handshake to the real VNC server, and the sandbox's built-in screen.

mod client_messages;

pub use client_messages::{ClientMessage, ClientMessages};

use crate::auth::{SECURITY_NONE, SECURITY_VNC_AUTHENTICATION};
use crate::reader::{Interrupt, Reader, Step};
use crate::{Error, Password, PixelFormat, Version, challenge_response};

/// The one security type a server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    None,
    /// VNC Authentication with this password. The challenge must be fresh random bytes for
    /// every connection; the crate has no randomness of its own.
    VncAuthentication {
        password: Password,
        challenge: [u8; 16],
    },
}

impl Security {
    fn number(&self) -> u8 {
        match self {
            Security::None => SECURITY_NONE,
            Security::VncAuthentication { .. } => SECURITY_VNC_AUTHENTICATION,
        }
    }
}

/// What the handshake ends with: the client's ClientInit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInit {
    pub version: Version,
    /// False asks the server to disconnect every other viewer.
    pub shared: bool,
    /// What the client sent after the ClientInit: the start of its messages.
    pub rest: Vec<u8>,
}

#[derive(Debug)]
enum State {
    Version,
    SecurityChoice {
        version: Version,
    },
    /// Waiting for the answer to the challenge; `expected` is the right one.
    VncResponse {
        version: Version,
        expected: [u8; 16],
    },
    ClientInit {
        version: Version,
    },
    Done,
    Failed(Error),
}

/// The server's side of the handshake up to ClientInit. The server speaks first: its greeting
/// (RFB 3.8) is queued from the start, and every answer the client needs is queued as the
/// client's bytes are fed in. A refusal is queued too (with its reason, where the version
/// carries one), so send what [`Handshake::take_outgoing`] returns even after an error.
#[derive(Debug)]
pub struct Handshake {
    security: Security,
    state: State,
    input: Vec<u8>,
    outgoing: Vec<u8>,
}

impl Handshake {
    pub fn new(security: Security) -> Self {
        Handshake {
            security,
            state: State::Version,
            input: Vec::new(),
            outgoing: Version::V3_8.to_wire().to_vec(),
        }
    }

    /// Bytes to send to the client, in order; forgotten once taken.
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.outgoing)
    }

    /// Processes bytes from the client, in chunks of any size: `Some` once the ClientInit has
    /// arrived, which ends the handshake. An error ends the connection; after one, every later
    /// call returns it again.
    pub fn feed(&mut self, data: &[u8]) -> Result<Option<ClientInit>, Error> {
        match &self.state {
            State::Failed(error) => return Err(error.clone()),
            State::Done => return Err(Error::HandshakeOver),
            _ => {}
        }
        // Held apart while a step reads it, so the step may change the rest of `self`.
        let mut input = std::mem::take(&mut self.input);
        input.extend_from_slice(data);
        loop {
            let mut reader = Reader::new(&input);
            let step = self.advance(&mut reader);
            let consumed = reader.consumed();
            match step {
                Ok(None) => {
                    input.drain(..consumed);
                }
                Ok(Some(mut init)) => {
                    input.drain(..consumed);
                    init.rest = input;
                    self.state = State::Done;
                    return Ok(Some(init));
                }
                Err(Interrupt::Incomplete) => {
                    self.input = input;
                    return Ok(None);
                }
                Err(Interrupt::Fatal(error)) => {
                    self.state = State::Failed(error.clone());
                    return Err(error);
                }
            }
        }
    }

    /// One step; `Ok` consumed what the reader read.
    fn advance(&mut self, reader: &mut Reader<'_>) -> Step<Option<ClientInit>> {
        match self.state {
            State::Version => {
                let version = Version::from_wire(&reader.array::<12>()?)?;
                let offered = self.security.number();
                if version == Version::V3_3 {
                    // 3.3 has no list: the server names the type it decided on.
                    self.outgoing
                        .extend_from_slice(&u32::from(offered).to_be_bytes());
                    self.state = self.after_security_choice(version);
                } else {
                    self.outgoing.extend_from_slice(&[1, offered]);
                    self.state = State::SecurityChoice { version };
                }
            }
            State::SecurityChoice { version } => {
                let chosen = reader.u8()?;
                if chosen != self.security.number() {
                    let error = Error::SecurityTypeNotOffered(chosen);
                    self.refuse(version, &error.to_string());
                    return Err(error.into());
                }
                if self.security == Security::None && version == Version::V3_8 {
                    // Only 3.8 confirms security type None.
                    self.outgoing.extend_from_slice(&0u32.to_be_bytes());
                }
                self.state = self.after_security_choice(version);
            }
            State::VncResponse { version, expected } => {
                let response = reader.array::<16>()?;
                // Every byte is compared whatever the earlier ones were, so the time taken
                // does not tell an attacker how much of a guess was right.
                let difference = expected
                    .iter()
                    .zip(response)
                    .fold(0u8, |difference, (a, b)| difference | (a ^ b));
                if difference != 0 {
                    self.refuse(version, "authentication failed");
                    return Err(Error::AuthenticationFailed {
                        reason: "the client's answer to the challenge is wrong".to_owned(),
                    }
                    .into());
                }
                self.outgoing.extend_from_slice(&0u32.to_be_bytes());
                self.state = State::ClientInit { version };
            }
            State::ClientInit { version } => {
                let shared = reader.u8()? != 0;
                return Ok(Some(ClientInit {
                    version,
                    shared,
                    rest: Vec::new(),
                }));
            }
            // `feed` returns before stepping a finished or failed handshake.
            State::Done => return Err(Error::HandshakeOver.into()),
            State::Failed(ref error) => return Err(error.clone().into()),
        }
        Ok(None)
    }

    fn after_security_choice(&mut self, version: Version) -> State {
        match &self.security {
            Security::None => State::ClientInit { version },
            Security::VncAuthentication {
                password,
                challenge,
            } => {
                self.outgoing.extend_from_slice(challenge);
                State::VncResponse {
                    version,
                    expected: challenge_response(password, challenge),
                }
            }
        }
    }

    /// Queues a failed SecurityResult; only 3.8 carries a reason.
    fn refuse(&mut self, version: Version, reason: &str) {
        self.outgoing.extend_from_slice(&1u32.to_be_bytes());
        if version == Version::V3_8 {
            let reason = reason.as_bytes();
            // Our own short reasons; the cast cannot truncate.
            self.outgoing
                .extend_from_slice(&(reason.len() as u32).to_be_bytes());
            self.outgoing.extend_from_slice(reason);
        }
    }
}

/// ServerInit: the framebuffer's size, the server's pixel format and the desktop name, sent
/// after the ClientInit.
pub fn server_init(width: u16, height: u16, format: PixelFormat, name: &str) -> Vec<u8> {
    let name = name.as_bytes();
    // A desktop name beyond 4 GiB cannot be sent; cut it.
    let length = u32::try_from(name.len()).unwrap_or(u32::MAX);
    let mut message = Vec::with_capacity(24 + name.len());
    message.extend_from_slice(&width.to_be_bytes());
    message.extend_from_slice(&height.to_be_bytes());
    message.extend_from_slice(&format.to_wire());
    message.extend_from_slice(&length.to_be_bytes());
    message.extend_from_slice(&name[..length as usize]);
    message
}
