#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The server half against hand-built client streams: the handshake for every version and
//! both security types, refusals, ClientInit, and every client message. Each stream is fed
//! whole, one byte at a time and in 7-byte chunks, which must all give the same result.

use rfb::server::{ClientInit, ClientMessage, ClientMessages, Handshake, Security};
use rfb::{Client, Config, Error, Event, Password, PixelFormat, Rect, Version};

const CHALLENGE: [u8; 16] = *b"Webrana-Cloud-16";

fn vnc_auth(password: &str) -> Security {
    Security::VncAuthentication {
        password: Password::new(password),
        challenge: CHALLENGE,
    }
}

/// What a handshake did with a client stream: all it sent and how it ended.
#[derive(Debug, PartialEq)]
struct Outcome {
    outgoing: Vec<u8>,
    result: Result<Option<ClientInit>, Error>,
}

fn handshake(security: &Security, stream: &[u8]) -> Outcome {
    let mut outcomes = [stream.len().max(1), 1, 7].map(|chunk| {
        let mut server = Handshake::new(security.clone());
        let mut result = Ok(None);
        for (index, piece) in stream.chunks(chunk).enumerate() {
            result = server.feed(piece);
            if let Ok(Some(init)) = &mut result {
                // What came after this chunk is the caller's to pass on, like `rest`.
                let after = ((index + 1) * chunk).min(stream.len());
                init.rest.extend_from_slice(&stream[after..]);
            }
            if !matches!(result, Ok(None)) {
                break;
            }
        }
        Outcome {
            outgoing: server.take_outgoing(),
            result,
        }
    });
    for other in &outcomes[1..] {
        assert_eq!(other, &outcomes[0], "chunking changed the outcome");
    }
    std::mem::replace(
        &mut outcomes[0],
        Outcome {
            outgoing: Vec::new(),
            result: Ok(None),
        },
    )
}

fn init(version: Version, shared: bool, rest: &[u8]) -> Result<Option<ClientInit>, Error> {
    Ok(Some(ClientInit {
        version,
        shared,
        rest: rest.to_vec(),
    }))
}

#[test]
fn version_3_8_with_none_confirms_and_hands_over_what_follows_the_client_init() {
    let outcome = handshake(&Security::None, b"RFB 003.008\n\x01\x01\x03\x00");
    assert_eq!(outcome.outgoing, b"RFB 003.008\n\x01\x01\x00\x00\x00\x00");
    assert_eq!(outcome.result, init(Version::V3_8, true, &[3, 0]));
}

#[test]
fn version_3_7_with_none_sends_no_security_result() {
    let outcome = handshake(&Security::None, b"RFB 003.007\n\x01\x00");
    assert_eq!(outcome.outgoing, b"RFB 003.008\n\x01\x01");
    assert_eq!(outcome.result, init(Version::V3_7, false, &[]));
}

#[test]
fn version_3_3_is_told_the_security_type() {
    let outcome = handshake(&Security::None, b"RFB 003.003\n\x01");
    assert_eq!(outcome.outgoing, b"RFB 003.008\n\x00\x00\x00\x01");
    assert_eq!(outcome.result, init(Version::V3_3, true, &[]));
    // UltraVNC's 3.6 is spoken as 3.3, RealVNC's 4.1 as 3.8.
    let outcome = handshake(&Security::None, b"RFB 003.006\n\x01");
    assert_eq!(outcome.result, init(Version::V3_3, true, &[]));
    let outcome = handshake(&Security::None, b"RFB 004.001\n\x01\x00\x00\x00\x00");
    assert_eq!(outcome.result, init(Version::V3_8, false, &[0, 0, 0]));
}

#[test]
fn bad_versions_are_refused() {
    let outcome = handshake(&Security::None, b"GET / HTTP/1.1\r\n");
    assert!(matches!(outcome.result, Err(Error::BadVersionString(_))));
    assert_eq!(outcome.outgoing, b"RFB 003.008\n");
    let outcome = handshake(&Security::None, b"RFB 003.002\n");
    assert_eq!(
        outcome.result,
        Err(Error::UnsupportedVersion { major: 3, minor: 2 })
    );
}

#[test]
fn vnc_authentication_with_the_right_answer() {
    let mut stream = b"RFB 003.008\n\x02".to_vec();
    stream.extend_from_slice(&rfb::challenge_response(
        &Password::new("konsol42"),
        &CHALLENGE,
    ));
    stream.push(1);
    let outcome = handshake(&vnc_auth("konsol42"), &stream);
    let mut expected = b"RFB 003.008\n\x01\x02".to_vec();
    expected.extend_from_slice(&CHALLENGE);
    expected.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(outcome.outgoing, expected);
    assert_eq!(outcome.result, init(Version::V3_8, true, &[]));

    // 3.3: the type is announced, then the challenge.
    let mut stream = b"RFB 003.003\n".to_vec();
    stream.extend_from_slice(&rfb::challenge_response(
        &Password::new("konsol42"),
        &CHALLENGE,
    ));
    stream.push(0);
    let outcome = handshake(&vnc_auth("konsol42"), &stream);
    let mut expected = b"RFB 003.008\n\x00\x00\x00\x02".to_vec();
    expected.extend_from_slice(&CHALLENGE);
    expected.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(outcome.outgoing, expected);
    assert_eq!(outcome.result, init(Version::V3_3, false, &[]));
}

#[test]
fn a_wrong_answer_is_refused_with_a_reason_on_3_8_only() {
    let wrong = rfb::challenge_response(&Password::new("konsol43"), &CHALLENGE);
    let mut stream = b"RFB 003.008\n\x02".to_vec();
    stream.extend_from_slice(&wrong);
    let outcome = handshake(&vnc_auth("konsol42"), &stream);
    assert!(matches!(
        outcome.result,
        Err(Error::AuthenticationFailed { .. })
    ));
    let mut expected = b"RFB 003.008\n\x01\x02".to_vec();
    expected.extend_from_slice(&CHALLENGE);
    expected.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 21]);
    expected.extend_from_slice(b"authentication failed");
    assert_eq!(outcome.outgoing, expected);

    let mut stream = b"RFB 003.007\n\x02".to_vec();
    stream.extend_from_slice(&wrong);
    let outcome = handshake(&vnc_auth("konsol42"), &stream);
    assert!(outcome.outgoing.ends_with(&[0, 0, 0, 1]));
    assert!(outcome.result.is_err());
}

#[test]
fn a_security_type_that_was_not_offered_is_refused() {
    let outcome = handshake(&Security::None, b"RFB 003.008\n\x02");
    assert_eq!(outcome.result, Err(Error::SecurityTypeNotOffered(2)));
    let reason = Error::SecurityTypeNotOffered(2).to_string();
    let mut expected = b"RFB 003.008\n\x01\x01\x00\x00\x00\x01".to_vec();
    expected.extend_from_slice(&(reason.len() as u32).to_be_bytes());
    expected.extend_from_slice(reason.as_bytes());
    assert_eq!(outcome.outgoing, expected);
    let outcome = handshake(&vnc_auth("konsol42"), b"RFB 003.008\n\x01");
    assert_eq!(outcome.result, Err(Error::SecurityTypeNotOffered(1)));
}

#[test]
fn a_finished_or_failed_handshake_takes_no_more_bytes() {
    let mut server = Handshake::new(Security::None);
    assert!(server.feed(b"RFB 003.008\n\x01\x01").unwrap().is_some());
    assert_eq!(server.feed(&[3]), Err(Error::HandshakeOver));
    let mut server = Handshake::new(Security::None);
    assert!(server.feed(b"RFB 003.008\n\x07").is_err());
    assert_eq!(server.feed(&[1]), Err(Error::SecurityTypeNotOffered(7)));
}

#[test]
fn the_crates_own_client_completes_the_handshake_with_the_server_half() {
    for (security, password) in [
        (Security::None, None),
        (vnc_auth("konsol42"), Some(Password::new("konsol42"))),
    ] {
        let mut server = Handshake::new(security);
        let mut client = Client::new(Config {
            password,
            shared: false,
            ..Config::default()
        });
        let init = loop {
            client.feed(&server.take_outgoing()).unwrap();
            if let Some(init) = server.feed(&client.take_outgoing()).unwrap() {
                break init;
            }
        };
        assert_eq!((init.version, init.shared), (Version::V3_8, false));
        client
            .feed(&rfb::server::server_init(
                4,
                2,
                PixelFormat::BGRX,
                "ruang kerja",
            ))
            .unwrap();
        assert_eq!(
            client.next_event(),
            Some(Event::Connected {
                width: 4,
                height: 2,
                name: "ruang kerja".to_owned(),
            })
        );
        // What the client sends next is SetPixelFormat, SetEncodings and a full request.
        let mut messages = ClientMessages::new();
        messages.feed(&client.take_outgoing());
        assert_eq!(
            messages.next_message(),
            Ok(Some(ClientMessage::SetPixelFormat(PixelFormat::RGBX)))
        );
        assert!(matches!(
            messages.next_message(),
            Ok(Some(ClientMessage::SetEncodings { count: 12 }))
        ));
        assert_eq!(
            messages.next_message(),
            Ok(Some(ClientMessage::FramebufferUpdateRequest {
                incremental: false,
                area: Rect {
                    x: 0,
                    y: 0,
                    width: 4,
                    height: 2
                },
            }))
        );
        assert_eq!(messages.next_message(), Ok(None));
    }
}

/// Every message in `stream`, fed in chunks of `chunk` bytes; the error that stopped it, if any.
fn parse(stream: &[u8], chunk: usize) -> (Vec<ClientMessage>, Option<Error>) {
    let mut messages = ClientMessages::new();
    let mut found = Vec::new();
    for piece in stream.chunks(chunk) {
        messages.feed(piece);
        loop {
            match messages.next_message() {
                Ok(Some(message)) => found.push(message),
                Ok(None) => break,
                Err(error) => return (found, Some(error)),
            }
        }
    }
    (found, None)
}

fn parse_every_way(stream: &[u8]) -> (Vec<ClientMessage>, Option<Error>) {
    let whole = parse(stream, stream.len().max(1));
    for chunk in [1, 7] {
        assert_eq!(parse(stream, chunk), whole, "in chunks of {chunk}");
    }
    whole
}

#[test]
fn every_client_message_is_parsed() {
    let mut stream = vec![0, 0, 0, 0];
    stream.extend_from_slice(&PixelFormat::RGBX.to_wire());
    stream.extend_from_slice(&[2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 16, 0xff, 0xff, 0xff, 0x21]);
    stream.extend_from_slice(&[3, 1, 0, 1, 0, 2, 2, 128, 1, 144]);
    stream.extend_from_slice(&[4, 1, 0, 0, 0, 0, 0xff, 0x0d]);
    stream.extend_from_slice(&[5, 1, 0, 10, 0, 20]);
    stream.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 5]);
    stream.extend_from_slice(b"hello");
    // Extended Clipboard, length -8: flags (notify, text) and 4 more bytes.
    stream.extend_from_slice(&[6, 0, 0, 0, 0xff, 0xff, 0xff, 0xf8]);
    stream.extend_from_slice(&[0x08, 0, 0, 1, 9, 9, 9, 9]);
    stream.extend_from_slice(&[150, 1, 0, 0, 0, 0, 0, 8, 0, 4]);
    stream.extend_from_slice(&[248, 0, 0, 0, 0, 0, 0, 3, 2, 0xab, 0xcd]);
    stream.extend_from_slice(&[251, 0, 3, 0, 2, 0, 1, 0]);
    stream.extend_from_slice(&[0; 16]);
    stream.extend_from_slice(&[255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1e]);
    let area = |x, y, width, height| Rect {
        x,
        y,
        width,
        height,
    };
    let expected = vec![
        ClientMessage::SetPixelFormat(PixelFormat::RGBX),
        ClientMessage::SetEncodings { count: 3 },
        ClientMessage::FramebufferUpdateRequest {
            incremental: true,
            area: area(1, 2, 640, 400),
        },
        ClientMessage::Key {
            down: true,
            keysym: 0xff0d,
        },
        ClientMessage::Pointer {
            buttons: 1,
            x: 10,
            y: 20,
        },
        ClientMessage::CutText { length: 5 },
        ClientMessage::ExtendedClipboard {
            flags: 0x0800_0001,
            length: 8,
        },
        ClientMessage::EnableContinuousUpdates {
            enable: true,
            area: area(0, 0, 8, 4),
        },
        ClientMessage::Fence {
            flags: 3,
            payload: vec![0xab, 0xcd],
        },
        ClientMessage::SetDesktopSize {
            width: 768,
            height: 512,
            screens: 1,
        },
        ClientMessage::QemuExtendedKey {
            down: true,
            keysym: 0x61,
            scancode: 0x1e,
        },
    ];
    assert_eq!(parse_every_way(&stream), (expected, None));
}

#[test]
fn only_what_a_person_does_is_input() {
    let input: Vec<bool> = [
        ClientMessage::SetEncodings { count: 1 },
        ClientMessage::FramebufferUpdateRequest {
            incremental: true,
            area: Rect {
                x: 0,
                y: 0,
                width: 1,
                height: 1,
            },
        },
        ClientMessage::Fence {
            flags: 0,
            payload: Vec::new(),
        },
        // noVNC answers the server's clipboard capabilities with its own, unasked.
        ClientMessage::ExtendedClipboard {
            flags: 1 << 24 | 1,
            length: 8,
        },
        ClientMessage::ExtendedClipboard {
            flags: 1 << 28 | 1,
            length: 20,
        },
        ClientMessage::Key {
            down: false,
            keysym: 0x61,
        },
        ClientMessage::Pointer {
            buttons: 0,
            x: 1,
            y: 1,
        },
        ClientMessage::CutText { length: 0 },
    ]
    .iter()
    .map(ClientMessage::is_user_input)
    .collect();
    assert_eq!(input, [false, false, false, false, true, true, true, true]);
}

#[test]
fn a_negative_clipboard_length_is_extended_clipboard_not_four_gigabytes() {
    // -16: the flags and 12 bytes; then a key event, which must be found right after.
    let mut stream = vec![6, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0];
    stream.extend_from_slice(&(1u32 << 24 | 1).to_be_bytes());
    stream.extend_from_slice(&[0; 12]);
    stream.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0, 0x61]);
    let (messages, error) = parse_every_way(&stream);
    assert_eq!(error, None);
    assert_eq!(
        messages,
        [
            ClientMessage::ExtendedClipboard {
                flags: 1 << 24 | 1,
                length: 16
            },
            ClientMessage::Key {
                down: false,
                keysym: 0x61
            }
        ]
    );
    // The most negative length is 2 GiB, not a wrap-around.
    let (messages, _) = parse_every_way(&[6, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        messages,
        [ClientMessage::ExtendedClipboard {
            flags: 0,
            length: 1 << 31
        }]
    );
    // Fewer than four bytes cannot hold the flags.
    let (_, error) = parse_every_way(&[6, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe, 0, 0]);
    assert!(matches!(error, Some(Error::MalformedMessage { .. })));
}

#[test]
fn skipped_bodies_are_not_kept() {
    let mut messages = ClientMessages::new();
    // A clipboard of 1 MiB, fed in 4 KiB pieces, then a pointer event.
    messages.feed(&[6, 0, 0, 0, 0, 0x10, 0, 0]);
    assert_eq!(
        messages.next_message(),
        Ok(Some(ClientMessage::CutText { length: 1 << 20 }))
    );
    for _ in 0..256 {
        messages.feed(&[b'x'; 4096]);
        assert_eq!(messages.next_message(), Ok(None));
    }
    messages.feed(&[5, 0, 0, 0, 0, 0]);
    assert_eq!(
        messages.next_message(),
        Ok(Some(ClientMessage::Pointer {
            buttons: 0,
            x: 0,
            y: 0
        }))
    );
}

#[test]
fn unknown_messages_stop_the_parser_for_good() {
    let (messages, error) = parse_every_way(&[3, 0, 0, 0, 0, 0, 0, 1, 0, 1, 77, 1, 2]);
    assert_eq!(messages.len(), 1);
    assert_eq!(error, Some(Error::UnknownMessageType(77)));
    // The shared-flag byte of a ClientInit is not a message.
    assert_eq!(parse_every_way(&[1]).1, Some(Error::UnknownMessageType(1)));
    assert_eq!(
        parse_every_way(&[255, 1, 0, 0]).1,
        Some(Error::UnknownQemuMessage(1))
    );
    let mut messages = ClientMessages::new();
    messages.feed(&[77]);
    assert!(messages.next_message().is_err());
    messages.feed(&[5, 0, 0, 0, 0, 0]);
    assert_eq!(messages.next_message(), Err(Error::UnknownMessageType(77)));
}
