//! VNC Authentication: the 16-byte challenge encrypted with single DES keyed by the password.

use des::Des;
use des::cipher::generic_array::GenericArray;
use des::cipher::{BlockEncrypt, KeyInit};

/// Security type numbers, as offered and chosen in the handshake.
pub(crate) const SECURITY_NONE: u8 = 1;
pub(crate) const SECURITY_VNC_AUTHENTICATION: u8 = 2;

/// A VNC password. Its `Debug` prints nothing, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(password: impl Into<String>) -> Self {
        Password(password.into())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Password(<redacted>)")
    }
}

/// The DES key: the first 8 password bytes (Latin-1, NUL-padded), each byte with its bit order
/// reversed. The reversal is VNC's historic quirk (the original code read key bits LSB-first);
/// standard DES needs it done explicitly. Characters past the eighth are ignored by every server.
fn des_key(password: &Password) -> [u8; 8] {
    let mut key = [0u8; 8];
    for (slot, character) in key.iter_mut().zip(password.0.chars()) {
        let latin1 = u8::try_from(u32::from(character)).unwrap_or(b'?');
        *slot = latin1.reverse_bits();
    }
    key
}

/// VNC Authentication's answer to a server's 16-byte challenge: the challenge DES-encrypted
/// with the password. A client sends it; a server computes it to check the client's.
pub fn challenge_response(password: &Password, challenge: &[u8; 16]) -> [u8; 16] {
    let cipher = Des::new(GenericArray::from_slice(&des_key(password)));
    let mut response = *challenge;
    for block in response.chunks_exact_mut(8) {
        cipher.encrypt_block(GenericArray::from_mut_slice(block));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_bytes_are_bit_reversed_and_nul_padded() {
        assert_eq!(
            des_key(&Password::new("s\u{1}")),
            [0xCE, 0x80, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn only_the_first_eight_characters_count() {
        let challenge = [7u8; 16];
        assert_eq!(
            challenge_response(&Password::new("abcdefgh"), &challenge),
            challenge_response(&Password::new("abcdefghXYZ"), &challenge)
        );
        assert_ne!(
            challenge_response(&Password::new("abcdefgh"), &challenge),
            challenge_response(&Password::new("abcdefgX"), &challenge)
        );
    }

    /// Expected bytes computed independently with OpenSSL:
    /// `printf '<challenge>' | openssl enc -des-ecb -nopad -K d6f676cef6362c4c -provider legacy`
    /// (d6f676cef6362c4c is "konsol42" with every byte bit-reversed)..
    #[test]
    fn matches_des_ecb_with_the_reversed_key() {
        let challenge: [u8; 16] = *b"Webrana-Cloud-16";
        let response = challenge_response(&Password::new("konsol42"), &challenge);
        assert_eq!(response, KONSOL42_RESPONSE);
    }

    const KONSOL42_RESPONSE: [u8; 16] = [
        0xd5, 0x35, 0xa8, 0x41, 0x15, 0x08, 0x11, 0x52, 0xe4, 0x7e, 0x28, 0x4f, 0x63, 0xef, 0x59,
        0x65,
    ];

    #[test]
    fn debug_does_not_reveal_the_password() {
        assert_eq!(
            format!("{:?}", Password::new("hunter2")),
            "Password(<redacted>)"
        );
    }
}
