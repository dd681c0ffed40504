//! Password rules and hashing (argon2id with the crate's recommended parameters).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::AccountError;

pub const MIN_LENGTH: usize = 10;
const MAX_LENGTH: usize = 256;

/// The most common passwords of ten characters or more, from public breach corpora.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

/// A password that passed the rules; only ever hashed, never stored or logged.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

impl NewPassword {
    pub fn parse(raw: &str, email: &str) -> Result<Self, AccountError> {
        let length = raw.chars().count();
        if length < MIN_LENGTH {
            return Err(AccountError::invalid(
                "password",
                "password_too_short",
                "use at least 10 characters",
            ));
        }
        if length > MAX_LENGTH {
            return Err(AccountError::invalid(
                "password",
                "password_too_long",
                "use at most 256 characters",
            ));
        }
        let lowered = raw.to_lowercase();
        if lowered == email.to_lowercase() || is_common(&lowered) {
            return Err(AccountError::invalid(
                "password",
                "password_too_common",
                "this password is too common; choose another",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_common(lowered: &str) -> bool {
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|common| common == lowered)
}

/// Hashes on a blocking thread: argon2 takes tens of milliseconds of CPU by design.
pub async fn hash(password: &str) -> Result<String, AccountError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|_| AccountError::Hashing)?;
        let salt = SaltString::encode_b64(&salt).map_err(|_| AccountError::Hashing)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|_| AccountError::Hashing)
    })
    .await
    .map_err(|_| AccountError::Hashing)?
}

/// Checks `password` against a stored hash; `None` (unknown account) still spends the same time
/// so response timing does not tell which e-mails are registered.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, AccountError> {
    let password = password.to_owned();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let (hash, known) = match &stored {
            Some(hash) => (hash.as_str(), true),
            None => (TIMING_DUMMY_HASH, false),
        };
        let parsed = PasswordHash::new(hash).map_err(|_| AccountError::Hashing)?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .map_err(|_| AccountError::Hashing)?
}

/// An argon2id hash (default parameters) of a random string nobody knows.
const TIMING_DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$tdvXj2HAtN4iBb2gWHbdt6zm0M2YW1Fm2u1HsxEr1h0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_reject_short_common_and_email_passwords() {
        assert!(NewPassword::parse("short", "a@b.co").is_err());
        assert!(NewPassword::parse("password123", "a@b.co").is_err());
        assert!(
            NewPassword::parse("Password123", "a@b.co").is_err(),
            "case does not help"
        );
        assert!(NewPassword::parse("budi@example.com", "budi@example.com").is_err());
        assert!(NewPassword::parse("kopi-tubruk-pagi-7", "a@b.co").is_ok());
    }

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let hash = hash("kopi-tubruk-pagi-7").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("kopi-tubruk-pagi-7", Some(&hash)).await.unwrap());
        assert!(!verify("kopi-tubruk-pagi-8", Some(&hash)).await.unwrap());
        assert!(!verify("kopi-tubruk-pagi-7", None).await.unwrap());
    }
}
