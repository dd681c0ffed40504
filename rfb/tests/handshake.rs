#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Version, security and initialisation against hand-built server streams.

#[allow(dead_code)]
mod fixtures;

use fixtures::{full_request, handshake, run, server_init};
use rfb::{Client, Config, Encoding, Error, Event, Password};

fn expected_setup_messages(width: u16, height: u16, encodings: &[i32]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0, 0];
    bytes.extend_from_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0]);
    bytes.extend_from_slice(&[2, 0]);
    bytes.extend_from_slice(&(encodings.len() as u16).to_be_bytes());
    for encoding in encodings {
        bytes.extend_from_slice(&encoding.to_be_bytes());
    }
    bytes.extend(full_request(false, width, height));
    bytes
}

fn default_encoding_numbers() -> Vec<i32> {
    Encoding::default_preference()
        .into_iter()
        .map(Encoding::number)
        .collect()
}

fn connected(width: u16, height: u16, name: &str) -> Event {
    Event::Connected {
        width,
        height,
        name: name.to_owned(),
    }
}

/// The 16-byte challenge and the answer OpenSSL computes for password "konsol42" (DES-ECB
/// with the bit-reversed key d6f676cef6362c4c).
const CHALLENGE: &[u8; 16] = b"Webrana-Cloud-16";
const KONSOL42_RESPONSE: [u8; 16] = [
    0xd5, 0x35, 0xa8, 0x41, 0x15, 0x08, 0x11, 0x52, 0xe4, 0x7e, 0x28, 0x4f, 0x63, 0xef, 0x59, 0x65,
];

#[test]
fn version_3_8_with_security_none() {
    let outcome = run(Config::default(), &handshake(640, 480));
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.events, [connected(640, 480, "fixture desktop")]);
    let mut expected = b"RFB 003.008\n".to_vec();
    expected.push(1); // security type None
    expected.push(1); // ClientInit, shared
    expected.extend(expected_setup_messages(
        640,
        480,
        &default_encoding_numbers(),
    ));
    assert_eq!(outcome.outgoing, expected);
    assert_eq!(outcome.size, (640, 480));
    assert_eq!(outcome.rgba.len(), 640 * 480 * 4);
}

#[test]
fn version_3_7_with_none_skips_the_security_result() {
    let mut stream = b"RFB 003.007\n".to_vec();
    stream.extend_from_slice(&[2, 16, 1]);
    stream.extend(server_init(8, 4, "seven"));
    let outcome = run(Config::default(), &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.events, [connected(8, 4, "seven")]);
    assert!(outcome.outgoing.starts_with(b"RFB 003.007\n\x01\x01"));
}

#[test]
fn version_3_3_with_none_decided_by_the_server() {
    let mut stream = b"RFB 003.003\n".to_vec();
    stream.extend_from_slice(&1u32.to_be_bytes());
    stream.extend(server_init(2, 2, "old"));
    let outcome = run(Config::default(), &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.events, [connected(2, 2, "old")]);
    // No security choice byte in 3.3: the ClientInit follows the version directly.
    assert!(outcome.outgoing.starts_with(b"RFB 003.003\n\x01\x00"));
}

#[test]
fn version_3_3_with_vnc_authentication() {
    let mut stream = b"RFB 003.003\n".to_vec();
    stream.extend_from_slice(&2u32.to_be_bytes());
    stream.extend_from_slice(CHALLENGE);
    stream.extend_from_slice(&0u32.to_be_bytes());
    stream.extend(server_init(3, 3, "old with password"));
    let config = Config {
        password: Some(Password::new("konsol42")),
        ..Config::default()
    };
    let outcome = run(config, &stream);
    assert_eq!(outcome.error, None);
    let mut expected = b"RFB 003.003\n".to_vec();
    expected.extend_from_slice(&KONSOL42_RESPONSE);
    expected.push(1);
    assert!(outcome.outgoing.starts_with(&expected));
}

#[test]
fn vnc_authentication_with_a_configured_password() {
    let mut stream = b"RFB 003.008\n".to_vec();
    stream.extend_from_slice(&[2, 19, 2]); // VeNCrypt is not supported, VNC auth is
    stream.extend_from_slice(CHALLENGE);
    stream.extend_from_slice(&0u32.to_be_bytes());
    stream.extend(server_init(4, 4, "locked"));
    let config = Config {
        password: Some(Password::new("konsol42")),
        ..Config::default()
    };
    let outcome = run(config, &stream);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.events, [connected(4, 4, "locked")]);
    let mut expected = b"RFB 003.008\n\x02".to_vec();
    expected.extend_from_slice(&KONSOL42_RESPONSE);
    expected.push(1);
    assert!(outcome.outgoing.starts_with(&expected));
}

#[test]
fn asks_for_a_password_when_none_is_configured() {
    let mut client = Client::new(Config::default());
    let mut stream = b"RFB 003.008\n".to_vec();
    stream.extend_from_slice(&[1, 2]);
    stream.extend_from_slice(CHALLENGE);
    // The server's answer may arrive before the user has typed the password.
    let mut after_password = 0u32.to_be_bytes().to_vec();
    after_password.extend(server_init(5, 5, "asked"));
    client.feed(&stream).unwrap();
    assert_eq!(client.next_event(), Some(Event::PasswordRequired));
    assert_eq!(client.take_outgoing(), b"RFB 003.008\n\x02");
    client.feed(&after_password).unwrap();
    assert_eq!(
        client.next_event(),
        None,
        "nothing happens before the password"
    );
    assert!(client.take_outgoing().is_empty());

    client.send_password(&Password::new("konsol42")).unwrap();
    let outgoing = client.take_outgoing();
    assert_eq!(outgoing[..16], KONSOL42_RESPONSE);
    assert_eq!(outgoing[16], 1, "ClientInit follows the response");
    assert_eq!(client.next_event(), Some(connected(5, 5, "asked")));
    assert!(client.is_connected());
    assert_eq!(
        client.send_password(&Password::new("again")),
        Err(Error::PasswordNotExpected)
    );
}

#[test]
fn wrong_password_reports_the_servers_reason_and_stays_failed() {
    let mut stream = b"RFB 003.008\n".to_vec();
    stream.extend_from_slice(&[1, 2]);
    stream.extend_from_slice(CHALLENGE);
    stream.extend_from_slice(&1u32.to_be_bytes());
    stream.extend_from_slice(&22u32.to_be_bytes());
    stream.extend_from_slice(b"Authentication failure");
    let config = Config {
        password: Some(Password::new("wrong")),
        ..Config::default()
    };
    let outcome = run(config.clone(), &stream);
    let expected = Error::AuthenticationFailed {
        reason: "Authentication failure".to_owned(),
    };
    assert_eq!(outcome.error, Some(expected.clone()));

    let mut client = Client::new(config);
    assert_eq!(client.feed(&stream), Err(expected.clone()));
    assert_eq!(client.feed(b"more"), Err(expected));
    assert!(!client.is_connected());
}

#[test]
fn authentication_failure_before_3_8_has_no_reason() {
    let mut stream = b"RFB 003.007\n".to_vec();
    stream.extend_from_slice(&[1, 2]);
    stream.extend_from_slice(CHALLENGE);
    stream.extend_from_slice(&1u32.to_be_bytes());
    let config = Config {
        password: Some(Password::new("wrong")),
        ..Config::default()
    };
    let outcome = run(config, &stream);
    assert!(matches!(
        outcome.error,
        Some(Error::AuthenticationFailed { .. })
    ));
}

#[test]
fn server_refusal_carries_its_reason() {
    let mut stream = b"RFB 003.008\n".to_vec();
    stream.push(0);
    stream.extend_from_slice(&14u32.to_be_bytes());
    stream.extend_from_slice(b"Too many tries");
    let outcome = run(Config::default(), &stream);
    assert_eq!(
        outcome.error,
        Some(Error::ServerRefused {
            reason: "Too many tries".to_owned()
        })
    );
}

#[test]
fn version_3_3_refusal_carries_its_reason() {
    let mut stream = b"RFB 003.003\n".to_vec();
    stream.extend_from_slice(&0u32.to_be_bytes());
    stream.extend_from_slice(&4u32.to_be_bytes());
    stream.extend_from_slice(b"busy");
    let outcome = run(Config::default(), &stream);
    assert_eq!(
        outcome.error,
        Some(Error::ServerRefused {
            reason: "busy".to_owned()
        })
    );
}

#[test]
fn unsupported_security_types_are_refused() {
    let mut stream = b"RFB 003.008\n".to_vec();
    stream.extend_from_slice(&[2, 19, 16]);
    let outcome = run(Config::default(), &stream);
    assert_eq!(
        outcome.error,
        Some(Error::NoSupportedSecurityType {
            offered: vec![19, 16]
        })
    );

    let mut stream = b"RFB 003.003\n".to_vec();
    stream.extend_from_slice(&16u32.to_be_bytes());
    let outcome = run(Config::default(), &stream);
    assert_eq!(
        outcome.error,
        Some(Error::NoSupportedSecurityType { offered: vec![16] })
    );
}

#[test]
fn prefers_none_over_vnc_authentication() {
    let mut stream = b"RFB 003.008\n".to_vec();
    stream.extend_from_slice(&[2, 2, 1]);
    let config = Config {
        password: Some(Password::new("unused")),
        ..Config::default()
    };
    let outcome = run(config, &stream);
    assert_eq!(outcome.outgoing, b"RFB 003.008\n\x01");
}

#[test]
fn version_numbers_map_to_the_version_spoken() {
    for (greeting, reply) in [
        (&b"RFB 003.008\n"[..], &b"RFB 003.008\n"[..]),
        (b"RFB 003.889\n", b"RFB 003.008\n"),
        (b"RFB 004.001\n", b"RFB 003.008\n"),
        (b"RFB 005.000\n", b"RFB 003.008\n"),
        (b"RFB 003.007\n", b"RFB 003.007\n"),
        (b"RFB 003.006\n", b"RFB 003.003\n"),
        (b"RFB 003.005\n", b"RFB 003.003\n"),
        (b"RFB 003.003\n", b"RFB 003.003\n"),
    ] {
        let outcome = run(Config::default(), greeting);
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.outgoing, reply, "for {greeting:?}");
    }
}

#[test]
fn bad_or_old_versions_are_errors() {
    let outcome = run(Config::default(), b"RFB 003.002\n");
    assert_eq!(
        outcome.error,
        Some(Error::UnsupportedVersion { major: 3, minor: 2 })
    );
    let outcome = run(Config::default(), b"RFB 002.009\n");
    assert_eq!(
        outcome.error,
        Some(Error::UnsupportedVersion { major: 2, minor: 9 })
    );
    for greeting in [
        &b"HTTP/1.1 400"[..],
        b"RFB 003.00x\n",
        b"RFB 003.008\r",
        b"RFB 003-008\n",
    ] {
        let outcome = run(Config::default(), greeting);
        assert!(
            matches!(outcome.error, Some(Error::BadVersionString(_))),
            "{greeting:?} gave {:?}",
            outcome.error
        );
    }
}

#[test]
fn oversized_framebuffer_is_refused() {
    let mut stream = b"RFB 003.008\n\x01\x01\0\0\0\0".to_vec();
    stream.extend(server_init(9000, 100, "huge"));
    let outcome = run(Config::default(), &stream);
    assert!(matches!(
        outcome.error,
        Some(Error::FramebufferTooLarge {
            width: 9000,
            height: 100,
            ..
        })
    ));
}

#[test]
fn huge_name_length_is_refused_without_waiting_for_the_name() {
    let mut stream = b"RFB 003.008\n\x01\x01\0\0\0\0".to_vec();
    let mut init = server_init(10, 10, "");
    let name_length_at = init.len() - 4;
    init[name_length_at..].copy_from_slice(&u32::MAX.to_be_bytes());
    stream.extend(init);
    let outcome = run(Config::default(), &stream);
    assert!(matches!(
        outcome.error,
        Some(Error::TooLong {
            what: "desktop name",
            ..
        })
    ));
}

#[test]
fn names_in_latin1_are_kept() {
    let mut stream = b"RFB 003.008\n\x01\x01\0\0\0\0".to_vec();
    let mut init = server_init(1, 1, "");
    let name_length_at = init.len() - 4;
    init[name_length_at..].copy_from_slice(&4u32.to_be_bytes());
    init.extend_from_slice(b"caf\xe9");
    stream.extend(init);
    let outcome = run(Config::default(), &stream);
    assert_eq!(outcome.events, [connected(1, 1, "café")]);
}

#[test]
fn input_before_the_handshake_is_refused() {
    let mut client = Client::new(Config::default());
    assert_eq!(client.key(0x61, true), Err(Error::NotConnected));
    assert_eq!(client.pointer(1, 1, 0), Err(Error::NotConnected));
    assert_eq!(client.cut_text("x"), Err(Error::NotConnected));
    assert_eq!(client.request_update(true), Err(Error::NotConnected));
    assert_eq!(
        client.key_scancode(0x61, 0x1e, true),
        Err(Error::NotConnected)
    );
    assert!(client.take_outgoing().is_empty());
}

#[test]
fn custom_encoding_list_and_exclusive_session() {
    let config = Config {
        shared: false,
        encodings: vec![Encoding::Hextile, Encoding::Raw, Encoding::Hextile],
        ..Config::default()
    };
    let outcome = run(config, &handshake(2, 2));
    let mut expected = b"RFB 003.008\n\x01\x00".to_vec();
    expected.extend(expected_setup_messages(2, 2, &[5, 0]));
    assert_eq!(outcome.outgoing, expected);
}
