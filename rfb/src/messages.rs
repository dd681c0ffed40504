//! Client-to-server messages: their type numbers (the server half parses them too), and
//! the ones the client sends, appended to the outgoing buffer.

use crate::{PixelFormat, Rect};

pub(crate) const SET_PIXEL_FORMAT: u8 = 0;
pub(crate) const SET_ENCODINGS: u8 = 2;
pub(crate) const FRAMEBUFFER_UPDATE_REQUEST: u8 = 3;
pub(crate) const KEY_EVENT: u8 = 4;
pub(crate) const POINTER_EVENT: u8 = 5;
pub(crate) const CLIENT_CUT_TEXT: u8 = 6;
pub(crate) const ENABLE_CONTINUOUS_UPDATES: u8 = 150;
pub(crate) const CLIENT_FENCE: u8 = 248;
pub(crate) const SET_DESKTOP_SIZE: u8 = 251;
pub(crate) const QEMU_CLIENT_MESSAGE: u8 = 255;
pub(crate) const QEMU_EXTENDED_KEY_EVENT_SUBTYPE: u8 = 0;

pub(crate) fn set_pixel_format(out: &mut Vec<u8>) {
    out.extend_from_slice(&[SET_PIXEL_FORMAT, 0, 0, 0]);
    out.extend_from_slice(&PixelFormat::RGBX.to_wire());
}

pub(crate) fn set_encodings(out: &mut Vec<u8>, encodings: &[i32]) {
    out.extend_from_slice(&[SET_ENCODINGS, 0]);
    // The list is deduplicated `Encoding`s: a dozen entries at most.
    out.extend_from_slice(&(encodings.len() as u16).to_be_bytes());
    for encoding in encodings {
        out.extend_from_slice(&encoding.to_be_bytes());
    }
}

pub(crate) fn framebuffer_update_request(out: &mut Vec<u8>, incremental: bool, area: Rect) {
    out.extend_from_slice(&[FRAMEBUFFER_UPDATE_REQUEST, u8::from(incremental)]);
    for field in [area.x, area.y, area.width, area.height] {
        out.extend_from_slice(&field.to_be_bytes());
    }
}

pub(crate) fn key_event(out: &mut Vec<u8>, keysym: u32, down: bool) {
    out.extend_from_slice(&[KEY_EVENT, u8::from(down), 0, 0]);
    out.extend_from_slice(&keysym.to_be_bytes());
}

pub(crate) fn qemu_extended_key_event(out: &mut Vec<u8>, keysym: u32, scancode: u32, down: bool) {
    out.extend_from_slice(&[QEMU_CLIENT_MESSAGE, QEMU_EXTENDED_KEY_EVENT_SUBTYPE]);
    out.extend_from_slice(&u16::from(down).to_be_bytes());
    out.extend_from_slice(&keysym.to_be_bytes());
    out.extend_from_slice(&qemu_key_number(scancode).to_be_bytes());
}

/// Key tables (noVNC's, the USB HID to XT maps) write extended keys as their two-byte XT
/// sequence `0xE0xx`; on the wire QEMU expects one number with the high bit set instead
/// (Right Alt: 0xE038 becomes 0xB8).
fn qemu_key_number(scancode: u32) -> u32 {
    let (prefix, code) = (scancode >> 8, scancode & 0xFF);
    if prefix == 0xE0 && code < 0x80 {
        code | 0x80
    } else {
        scancode
    }
}

pub(crate) fn pointer_event(out: &mut Vec<u8>, x: u16, y: u16, buttons: u8) {
    out.extend_from_slice(&[POINTER_EVENT, buttons]);
    out.extend_from_slice(&x.to_be_bytes());
    out.extend_from_slice(&y.to_be_bytes());
}

/// RFB cut text is Latin-1; characters outside it cannot be sent and become '?'.
pub(crate) fn client_cut_text(out: &mut Vec<u8>, text: &str) {
    let latin1: Vec<u8> = text
        .chars()
        .map(|character| u8::try_from(u32::from(character)).unwrap_or(b'?'))
        .collect();
    out.extend_from_slice(&[CLIENT_CUT_TEXT, 0, 0, 0]);
    // A str longer than 4 GiB cannot exist in wasm32 and is absurd elsewhere; saturate.
    let length = u32::try_from(latin1.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&latin1[..length as usize]);
}

pub(crate) fn client_fence(out: &mut Vec<u8>, flags: u32, payload: &[u8]) {
    out.extend_from_slice(&[CLIENT_FENCE, 0, 0, 0]);
    out.extend_from_slice(&flags.to_be_bytes());
    // The payload comes from a ServerFence, whose length field is a single byte.
    out.push(payload.len() as u8);
    out.extend_from_slice(payload);
}
