//! Secrets: opaque random tokens handed to browsers and API clients (refresh tokens, e-mail
//! links, console tickets), stored only as their hash; and encryption at rest for the few
//! secrets we must be able to read back (root passwords): XChaCha20-Poly1305 with a random nonce
//! per value, stored as `v1:` + base64(nonce ‖ ciphertext).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::{Db, DbError, settings};

/// The system's random source failed: nothing secret can be made.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the system's random source failed")]
pub struct NoRandomness;

/// 256 random bits, URL-safe: refresh tokens, e-mail links, recovery-code salts.
pub fn random_token() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| NoRandomness)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token: enough to recognise it, useless to present.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the data encryption key must be 32 bytes")]
    BadKey,
    #[error("the system random source failed")]
    Randomness,
    #[error("a stored secret cannot be decrypted with this key (was DATA_ENCRYPTION_KEY changed?)")]
    Undecryptable,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Seals and opens secrets with one key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

impl SecretBox {
    pub fn new(key: &[u8]) -> Result<Self, SecretError> {
        XChaCha20Poly1305::new_from_slice(key)
            .map(|cipher| Self { cipher })
            .map_err(|_| SecretError::BadKey)
    }

    /// The configured key, or else one generated on first run and kept in `app_settings`. That
    /// one sits beside the data it protects, so it only guards copies of single tables;
    /// production sets `DATA_ENCRYPTION_KEY`.
    pub async fn configured_or_generated(
        db: &Db,
        configured: Option<&[u8]>,
    ) -> Result<Self, SecretError> {
        if let Some(key) = configured {
            return Self::new(key);
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|_| SecretError::Randomness)?;
        let stored = settings::get_or_insert(db, "data_encryption_key", &BASE64.encode(key))
            .await?
            .value;
        Self::new(&BASE64.decode(stored).map_err(|_| SecretError::BadKey)?)
    }

    pub fn seal(&self, plaintext: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SecretError::Randomness)?;
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| SecretError::Randomness)?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(format!("{PREFIX}{}", BASE64.encode(bytes)))
    }

    pub fn open(&self, stored: &str) -> Result<String, SecretError> {
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|encoded| BASE64.decode(encoded).ok())
            .filter(|bytes| bytes.len() > NONCE_LEN)
            .ok_or(SecretError::Undecryptable)?;
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| SecretError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Undecryptable)
    }
}

/// A root password people can type from a screen: 20 characters without look-alikes
/// (no 0/O, 1/l/I), about 114 bits, always with a lower-case letter, a capital and a digit,
/// since clouds refuse weaker ones (Linode turns away one without three kinds of character,
/// which a uniformly drawn password hits about once in twenty).
pub fn generate_password() -> Result<String, SecretError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    loop {
        let mut password = String::with_capacity(20);
        while password.len() < 20 {
            let mut byte = [0u8; 1];
            getrandom::fill(&mut byte).map_err(|_| SecretError::Randomness)?;
            // Rejection sampling keeps every character equally likely.
            let index = usize::from(byte[0]);
            if index < ALPHABET.len() * (256 / ALPHABET.len()) {
                password.push(char::from(ALPHABET[index % ALPHABET.len()]));
            }
        }
        // Drawing again rather than patching a character in keeps every acceptable password
        // equally likely.
        let kinds: [fn(&char) -> bool; 3] = [
            char::is_ascii_lowercase,
            char::is_ascii_uppercase,
            char::is_ascii_digit,
        ];
        if kinds.iter().all(|kind| password.chars().any(|c| kind(&c))) {
            return Ok(password);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_the_same_key_only() {
        let secret_box = SecretBox::new(&[7; 32]).unwrap();
        let sealed = secret_box.seal("hunter2-but-longer").unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("hunter2"));
        assert_ne!(sealed, secret_box.seal("hunter2-but-longer").unwrap());
        assert_eq!(secret_box.open(&sealed).unwrap(), "hunter2-but-longer");
        let other = SecretBox::new(&[8; 32]).unwrap();
        assert!(matches!(
            other.open(&sealed),
            Err(SecretError::Undecryptable)
        ));
        assert!(matches!(
            secret_box.open("v1:AAAA"),
            Err(SecretError::Undecryptable)
        ));
        assert!(matches!(SecretBox::new(&[1; 16]), Err(SecretError::BadKey)));
    }

    #[test]
    fn passwords_are_long_and_unambiguous() {
        let password = generate_password().unwrap();
        assert_eq!(password.len(), 20);
        assert!(!password.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(password, generate_password().unwrap());
    }

    #[test]
    fn every_password_mixes_lower_case_capitals_and_digits() {
        // Without the rule about 1 in 20 would lack a digit: 2,000 draws all but surely meet one.
        for _ in 0..2_000 {
            let password = generate_password().unwrap();
            assert!(
                password.chars().any(|c| c.is_ascii_lowercase()),
                "{password}"
            );
            assert!(
                password.chars().any(|c| c.is_ascii_uppercase()),
                "{password}"
            );
            assert!(password.chars().any(|c| c.is_ascii_digit()), "{password}");
        }
    }

    #[test]
    fn random_tokens_differ_and_hash_stably() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
