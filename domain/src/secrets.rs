//! Secrets: opaque random tokens handed to browsers and API clients (refresh tokens, e-mail
//! links, console tickets), stored only as their hash; and encryption at rest for the few
//! secrets we must be able to read back (root passwords, TOTP secrets): XChaCha20-Poly1305
//! with a random nonce per value, stored as `v2:` + base64(nonce ‖ ciphertext).
//!
//! Each value is sealed with what it belongs to ([`SealedFor`]: the server, the user) as
//! associated data, so a ciphertext copied into another row no longer opens: someone who can
//! write to the database but not read the key cannot give their server another server's root
//! password, or their account another account's second factor. Values sealed before that
//! (`v1:`, unbound) are sealed again, bound, at start-up ([`bind_stored_secrets`]).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::{Db, DbError, db_run, settings};

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

const PREFIX: &str = "v2:";
/// Sealed without associated data, by versions before [`SealedFor`].
const UNBOUND_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;

/// What a sealed secret belongs to; it opens only for the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedFor {
    /// A server's root password, in whichever of its places: waiting to be sent
    /// (`pending_root_password`), current (`root_password`), or an action's new one.
    ServerRootPassword { instance_id: i64 },
    /// A user's TOTP secret (`users.totp_secret`).
    TotpSecret { user_id: i64 },
}

impl SealedFor {
    fn associated_data(self) -> String {
        match self {
            Self::ServerRootPassword { instance_id } => {
                format!("webrana:instances.root_password:{instance_id}")
            }
            Self::TotpSecret { user_id } => format!("webrana:users.totp_secret:{user_id}"),
        }
    }
}

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

    pub fn seal(&self, plaintext: &str, owner: SealedFor) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SecretError::Randomness)?;
        let aad = owner.associated_data();
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: aad.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .map_err(|_| SecretError::Randomness)?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(format!("{PREFIX}{}", BASE64.encode(bytes)))
    }

    /// Opens what was sealed for `owner`; anything else (another owner's, an unbound value,
    /// another key's) is [`SecretError::Undecryptable`].
    pub fn open(&self, stored: &str, owner: SealedFor) -> Result<String, SecretError> {
        self.decrypt(stored, PREFIX, owner.associated_data().as_bytes())
    }

    fn decrypt(&self, stored: &str, prefix: &str, aad: &[u8]) -> Result<String, SecretError> {
        let bytes = stored
            .strip_prefix(prefix)
            .and_then(|encoded| BASE64.decode(encoded).ok())
            .filter(|bytes| bytes.len() > NONCE_LEN)
            .ok_or(SecretError::Undecryptable)?;
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map_err(|_| SecretError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Undecryptable)
    }

    /// Seals again, bound to `owner`, a value of the earlier unbound kind; a value already
    /// bound is left as it is (`None`).
    fn rebind(&self, stored: &str, owner: SealedFor) -> Result<Option<String>, SecretError> {
        if !stored.starts_with(UNBOUND_PREFIX) {
            return Ok(None);
        }
        let plain = self.decrypt(stored, UNBOUND_PREFIX, b"")?;
        self.seal(&plain, owner).map(Some)
    }
}

/// The start-up step that binds what earlier versions stored: root passwords sealed without
/// associated data are sealed again for their server, and TOTP secrets, kept in plain text
/// before, are sealed for their user. Idempotent: a bound value is left alone. Answers how many
/// values it changed.
pub async fn bind_stored_secrets(db: &Db, secrets: &SecretBox) -> Result<usize, SecretError> {
    let mut changed = 0;
    for (table, column, owner_column) in [
        ("instances", "root_password", "id"),
        ("instances", "pending_root_password", "id"),
        ("instance_actions", "root_password", "instance_id"),
    ] {
        let select = format!(
            "SELECT id, {owner_column}, {column} FROM {table} WHERE {column} LIKE '{UNBOUND_PREFIX}%'"
        );
        let rows: Vec<(i64, i64, String)> = db_run!(db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(select.clone()))
                .fetch_all(pool)
                .await
        })
        .map_err(DbError::Query)?;
        let update = format!("UPDATE {table} SET {column} = $1 WHERE id = $2 AND {column} = $3");
        for (id, instance_id, stored) in rows {
            let owner = SealedFor::ServerRootPassword { instance_id };
            if let Some(bound) = secrets.rebind(&stored, owner)? {
                changed += execute(db, &update, &bound, id, &stored).await?;
            }
        }
    }
    let plain_totp: Vec<(i64, String)> = db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE 'v2:%'",
        )
        .fetch_all(pool)
        .await
    })
    .map_err(DbError::Query)?;
    for (user_id, secret) in plain_totp {
        let sealed = secrets.seal(&secret, SealedFor::TotpSecret { user_id })?;
        let update = "UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3";
        changed += execute(db, update, &sealed, user_id, &secret).await?;
    }
    Ok(changed)
}

/// One guarded update (`… = $1 WHERE id = $2 AND … = $3`): a value changed meanwhile by
/// someone else is left to them.
async fn execute(db: &Db, sql: &str, value: &str, id: i64, was: &str) -> Result<usize, DbError> {
    let done = db_run!(db, |pool| {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(value)
            .bind(id)
            .bind(was)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(usize::try_from(done).unwrap_or(usize::MAX))
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

    const SERVER_7: SealedFor = SealedFor::ServerRootPassword { instance_id: 7 };

    #[test]
    fn sealed_secrets_open_with_the_same_key_only() {
        let secret_box = SecretBox::new(&[7; 32]).unwrap();
        let sealed = secret_box.seal("hunter2-but-longer", SERVER_7).unwrap();
        assert!(sealed.starts_with("v2:") && !sealed.contains("hunter2"));
        assert_ne!(
            sealed,
            secret_box.seal("hunter2-but-longer", SERVER_7).unwrap()
        );
        assert_eq!(
            secret_box.open(&sealed, SERVER_7).unwrap(),
            "hunter2-but-longer"
        );
        let other = SecretBox::new(&[8; 32]).unwrap();
        assert!(matches!(
            other.open(&sealed, SERVER_7),
            Err(SecretError::Undecryptable)
        ));
        assert!(matches!(
            secret_box.open("v2:AAAA", SERVER_7),
            Err(SecretError::Undecryptable)
        ));
        assert!(matches!(SecretBox::new(&[1; 16]), Err(SecretError::BadKey)));
    }

    #[test]
    fn a_sealed_value_opens_only_for_what_it_belongs_to() {
        let secret_box = SecretBox::new(&[7; 32]).unwrap();
        let sealed = secret_box.seal("hunter2-but-longer", SERVER_7).unwrap();
        for elsewhere in [
            SealedFor::ServerRootPassword { instance_id: 8 },
            SealedFor::TotpSecret { user_id: 7 },
        ] {
            assert!(matches!(
                secret_box.open(&sealed, elsewhere),
                Err(SecretError::Undecryptable)
            ));
        }
    }

    #[test]
    fn unbound_values_are_sealed_again_bound_and_bound_ones_left_alone() {
        let secret_box = SecretBox::new(&[7; 32]).unwrap();
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).unwrap();
        let unbound = secret_box
            .cipher
            .encrypt(XNonce::from_slice(&nonce), b"old-root-password".as_slice())
            .unwrap();
        let stored = format!(
            "{UNBOUND_PREFIX}{}",
            BASE64.encode([nonce.to_vec(), unbound].concat())
        );
        assert!(matches!(
            secret_box.open(&stored, SERVER_7),
            Err(SecretError::Undecryptable)
        ));
        let bound = secret_box.rebind(&stored, SERVER_7).unwrap().unwrap();
        assert_eq!(
            secret_box.open(&bound, SERVER_7).unwrap(),
            "old-root-password"
        );
        assert_eq!(secret_box.rebind(&bound, SERVER_7).unwrap(), None);
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
