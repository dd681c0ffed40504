#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Client input messages and the non-update server messages.

#[allow(dead_code)]
mod fixtures;

use fixtures::{
    QEMU_EXTENDED_KEY_EVENT, full_request, handshake, rect_header, run_after_handshake, update,
};
use rfb::{Client, Config, Error, Event};

fn connected_client(width: u16, height: u16) -> Client {
    let mut client = Client::new(Config::default());
    client.feed(&handshake(width, height)).unwrap();
    while client.next_event().is_some() {}
    client.take_outgoing();
    client
}

#[test]
fn key_events() {
    let mut client = connected_client(10, 10);
    client.key(0xff0d, true).unwrap();
    client.key(0xff0d, false).unwrap();
    assert_eq!(
        client.take_outgoing(),
        [
            [4, 1, 0, 0, 0, 0, 0xff, 0x0d],
            [4, 0, 0, 0, 0, 0, 0xff, 0x0d]
        ]
        .concat()
    );
}

#[test]
fn scancodes_fall_back_to_keysyms_until_the_server_accepts_them() {
    let mut client = connected_client(10, 10);
    client.key_scancode(0x61, 0x1e, true).unwrap();
    assert_eq!(client.take_outgoing(), [4, 1, 0, 0, 0, 0, 0, 0x61]);
    assert!(!client.extended_key_events_available());

    client
        .feed(&update(&[rect_header(0, 0, 0, 0, QEMU_EXTENDED_KEY_EVENT)]))
        .unwrap();
    assert_eq!(client.next_event(), Some(Event::ExtendedKeyEventsAvailable));
    assert_eq!(
        client.next_event(),
        None,
        "a pseudo-rectangle paints nothing"
    );
    assert_eq!(client.take_outgoing(), full_request(true, 10, 10));
    assert!(client.extended_key_events_available());

    client.key_scancode(0x61, 0x1e, true).unwrap();
    assert_eq!(
        client.take_outgoing(),
        [255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1e]
    );
    // AltGr is the extended key E0 38; QEMU wants it as 0x80 | 0x38.
    client.key_scancode(0xfe03, 0xe038, false).unwrap();
    client.key_scancode(0xfe03, 0xb8, false).unwrap();
    assert_eq!(
        client.take_outgoing(),
        [[255, 0, 0, 0, 0, 0, 0xfe, 0x03, 0, 0, 0, 0xb8]; 2].concat()
    );

    // A second acknowledgement is not a new event.
    client
        .feed(&update(&[rect_header(0, 0, 0, 0, QEMU_EXTENDED_KEY_EVENT)]))
        .unwrap();
    assert_eq!(client.next_event(), None);
}

#[test]
fn pointer_events_are_clamped_to_the_framebuffer() {
    let mut client = connected_client(100, 50);
    client.pointer(10, 20, 0b101).unwrap();
    client.pointer(500, 500, 0).unwrap();
    assert_eq!(
        client.take_outgoing(),
        [[5, 0b101, 0, 10, 0, 20], [5, 0, 0, 99, 0, 49]].concat()
    );
}

#[test]
fn cut_text_is_sent_as_latin1() {
    let mut client = connected_client(1, 1);
    client.cut_text("naïve ✓").unwrap();
    assert_eq!(
        client.take_outgoing(),
        [&[6, 0, 0, 0, 0, 0, 0, 7][..], b"na\xefve ?"].concat()
    );
}

#[test]
fn explicit_update_requests() {
    let mut client = connected_client(300, 200);
    client.request_update(true).unwrap();
    client.request_update(false).unwrap();
    assert_eq!(
        client.take_outgoing(),
        [full_request(true, 300, 200), full_request(false, 300, 200)].concat()
    );
}

#[test]
fn bell() {
    let outcome = run_after_handshake(Config::default(), 4, 4, &[2, 2]);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.events, [Event::Bell, Event::Bell]);
    assert!(outcome.outgoing.is_empty());
}

#[test]
fn server_cut_text_is_latin1() {
    let mut stream = vec![3, 0, 0, 0, 0, 0, 0, 6];
    stream.extend_from_slice(b"d\xe9j\xe0 1");
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.events, [Event::ServerCutText("déjà 1".to_owned())]);
}

#[test]
fn extended_clipboard_capabilities_are_skipped() {
    // A negative length announces Extended Clipboard data, which this client does not use.
    let mut stream = vec![3, 0, 0, 0];
    stream.extend_from_slice(&(-8i32).to_be_bytes());
    stream.extend_from_slice(&[0x10, 0, 0, 0x1f, 0, 0, 0x10, 0]);
    stream.push(2); // a Bell right after shows the stream stayed in step
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.events, [Event::Bell]);
}

#[test]
fn oversized_cut_text_is_an_error_before_it_arrives() {
    let mut stream = vec![3, 0, 0, 0];
    stream.extend_from_slice(&0x7fff_ffffi32.to_be_bytes());
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert!(matches!(
        outcome.error,
        Some(Error::TooLong {
            what: "server cut text",
            ..
        })
    ));
    let mut stream = vec![3, 0, 0, 0];
    stream.extend_from_slice(&i32::MIN.to_be_bytes());
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert!(matches!(outcome.error, Some(Error::TooLong { .. })));
}

#[test]
fn colour_map_entries_are_skipped() {
    let mut stream = vec![1, 0, 0, 0, 0, 2];
    stream.extend_from_slice(&[0xaa; 12]);
    stream.push(2);
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.events, [Event::Bell]);
}

#[test]
fn end_of_continuous_updates_is_accepted() {
    let outcome = run_after_handshake(Config::default(), 4, 4, &[150, 2]);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.events, [Event::Bell]);
}

#[test]
fn fence_requests_are_answered_with_the_same_payload() {
    let mut stream = vec![248, 0, 0, 0];
    // Request bit plus BlockBefore and an unknown high flag that must not be echoed.
    stream.extend_from_slice(&0x8000_0101u32.to_be_bytes());
    stream.push(3);
    stream.extend_from_slice(b"abc");
    // A fence without the request bit is itself an answer and needs none.
    stream.extend_from_slice(&[248, 0, 0, 0, 0, 0, 0, 1, 0]);
    let outcome = run_after_handshake(Config::default(), 4, 4, &stream);
    assert_eq!(outcome.error, None);
    assert!(outcome.events.is_empty());
    assert_eq!(
        outcome.outgoing,
        [&[248, 0, 0, 0, 0, 0, 0, 1, 3][..], b"abc"].concat()
    );
}

#[test]
fn unknown_message_types_end_the_connection() {
    let outcome = run_after_handshake(Config::default(), 4, 4, &[250, 0, 0, 0]);
    assert_eq!(outcome.error, Some(Error::UnknownMessageType(250)));
}

#[test]
fn no_automatic_requests_when_disabled() {
    let config = Config {
        auto_request_updates: false,
        ..Config::default()
    };
    let outcome = run_after_handshake(config, 4, 4, &update(&[]));
    assert_eq!(outcome.error, None);
    assert!(outcome.outgoing.is_empty());
}

#[test]
fn an_empty_update_is_answered_with_an_incremental_request() {
    let outcome = run_after_handshake(Config::default(), 4, 4, &update(&[]));
    assert!(outcome.events.is_empty());
    assert_eq!(outcome.outgoing, full_request(true, 4, 4));
}
