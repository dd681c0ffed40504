//! The screen of a sandbox server: a small RFB (VNC) server per server, on loopback, that draws a
//! Linux-style boot log and a login prompt in an 80x25 text console and runs a toy shell.
//!
//! It exists so the sandbox's console goes through exactly the path a real cloud's does: our
//! WebSocket proxy connects to it over TCP and relays real RFB, with VNC Authentication, to the
//! browser. The screen (its text and login state) lives as long as the screen is open, shared
//! by every connection to it, so a reconnect or a second viewer sees the same console.
//!
//! [`SandboxScreens::with_vms`] swaps the drawn screen for a real one: each screen is then a
//! small QEMU VM ([`super::vm`]) whose own VNC server is the endpoint. Callers see no
//! difference: an endpoint on 127.0.0.1 with a VNC password either way.
//!
//! Split along its seams, each depending only on the ones after it: [`SandboxScreens`]
//! (`registry`: which server has which screen), `server` (the RFB server of the built-in
//! screen), `terminal` (its text, login and shell, and the pixels drawn from them) and
//! `glyphs` (the font, and [`screen_text`] to read a drawn screen back).

mod glyphs;
mod registry;
mod server;
mod terminal;

pub use super::endpoint::ScreenEndpoint;
#[cfg(any(test, feature = "testing"))]
pub use glyphs::screen_text;
pub use registry::SandboxScreens;
