//! Feeds arbitrary server bytes to a client, whole and in chunks, and checks that it never
//! panics, never breaks its framebuffer invariant, and that chunking never changes the result.
//!
//! Input layout: the first byte picks whether a valid handshake (3.8, security None, a 64x48
//! framebuffer) is put in front of the rest (bit 0 clear), so that most runs reach the message
//! and decoder code; the chunk size (bits 1..7, plus one); and whether the password is
//! configured or only given after `Event::PasswordRequired` (bit 7).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rfb::{Client, Config, Error, Event, Limits, Password};

const HANDSHAKE: &[u8] = &[
    b'R', b'F', b'B', b' ', b'0', b'0', b'3', b'.', b'0', b'0', b'8', b'\n', // version
    1, 1, // one security type: None
    0, 0, 0, 0, // SecurityResult: OK
    0, 64, 0, 48, // 64x48
    32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0, // pixel format
    0, 0, 0, 4, b'f', b'u', b'z', b'z', // name
];

#[derive(Debug, PartialEq)]
struct Outcome {
    events: Vec<Event>,
    outgoing: Vec<u8>,
    rgba: Vec<u8>,
    error: Option<Error>,
}

fn config(password_configured: bool) -> Config {
    Config {
        password: password_configured.then(|| Password::new("fuzzing")),
        // Small limits keep each run fast; the checks are the same at any size.
        limits: Limits {
            max_width: 300,
            max_height: 300,
            max_cut_text: 4096,
            max_text: 1024,
            max_cursor_side: 64,
        },
        ..Config::default()
    }
}

fn run(stream: &[u8], chunk_size: usize, password_configured: bool) -> Outcome {
    let mut client = Client::new(config(password_configured));
    let mut outcome = Outcome {
        events: Vec::new(),
        outgoing: Vec::new(),
        rgba: Vec::new(),
        error: None,
    };
    for chunk in stream.chunks(chunk_size) {
        let mut result = client.feed(chunk);
        while let Some(event) = client.next_event() {
            if event == Event::PasswordRequired && result.is_ok() {
                result = client.send_password(&Password::new("later"));
            }
            outcome.events.push(event);
        }
        outcome.outgoing.extend(client.take_outgoing());
        if let Err(error) = result {
            outcome.error = Some(error);
            break;
        }
    }
    if client.is_connected() {
        // Input methods must work in any connected state.
        let _ = client.pointer(u16::MAX, u16::MAX, 0xFF);
        let _ = client.key_scancode(0xffe1, 0xe02a, true);
        let _ = client.request_update(true);
    }
    let framebuffer = client.framebuffer();
    let pixels = usize::from(framebuffer.width()) * usize::from(framebuffer.height());
    assert_eq!(framebuffer.rgba().len(), pixels * 4);
    assert!(
        framebuffer
            .rgba()
            .chunks_exact(4)
            .all(|pixel| pixel[3] == 255)
    );
    outcome.rgba = framebuffer.rgba().to_vec();
    outcome
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let mut stream = Vec::with_capacity(HANDSHAKE.len() + body.len());
    if mode & 1 == 0 {
        stream.extend_from_slice(HANDSHAKE);
    }
    stream.extend_from_slice(body);
    let chunk_size = usize::from((mode >> 1) & 0x3F) + 1;
    let password_configured = mode & 0x80 == 0;
    let whole = run(&stream, stream.len().max(1), password_configured);
    let chunked = run(&stream, chunk_size, password_configured);
    assert_eq!(whole, chunked, "chunk size {chunk_size} changed the result");
});
