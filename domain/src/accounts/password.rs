//! Password rules and hashing (argon2id with the crate's recommended parameters).

use std::num::NonZero;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use super::AccountError;
use crate::error::Code;

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
                Code::PasswordTooShort,
                "use at least 10 characters",
            ));
        }
        if length > MAX_LENGTH {
            return Err(AccountError::invalid(
                "password",
                Code::PasswordTooLong,
                "use at most 256 characters",
            ));
        }
        let lowered = raw.to_lowercase();
        if lowered == email.to_lowercase() || is_common(&lowered) {
            return Err(AccountError::invalid(
                "password",
                Code::PasswordTooCommon,
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

/// Argon2's working memory (19 MiB with the default parameters), one per core, each made once
/// and reused. At most one hash per core runs at once: more only adds memory and makes each
/// slower. Reusing the memory matters as much as bounding it: a fresh 19 MiB for every hash,
/// freed between small allocations, left glibc's heap unable to reuse it, and concurrent
/// sign-ups grew the server to 3 GB that it never gave back.
struct Workspace {
    slots: Semaphore,
    memories: Mutex<Vec<Vec<Block>>>,
}

fn workspace() -> &'static Workspace {
    static WORKSPACE: OnceLock<Workspace> = OnceLock::new();
    WORKSPACE.get_or_init(|| Workspace {
        slots: Semaphore::new(std::thread::available_parallelism().map_or(2, NonZero::get)),
        memories: Mutex::default(),
    })
}

/// How long a password check waits for a hashing slot before the request is answered "busy,
/// try again shortly" (503 with `Retry-After`) instead of queueing without end.
const HASHING_WAIT: Duration = Duration::from_secs(5);

/// Runs `work` with a slot's memory on a blocking thread, once a slot is free. The slot is held
/// until the work is done, even when the request that asked for it has gone.
async fn with_argon2_memory<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> Result<T, AccountError> + Send + 'static,
) -> Result<T, AccountError> {
    with_argon2_memory_within(HASHING_WAIT, work).await
}

async fn with_argon2_memory_within<T: Send + 'static>(
    wait: Duration,
    work: impl FnOnce(&mut Vec<Block>) -> Result<T, AccountError> + Send + 'static,
) -> Result<T, AccountError> {
    let workspace = workspace();
    let slot = tokio::time::timeout(wait, workspace.slots.acquire())
        .await
        .map_err(|_| AccountError::Busy)?
        .map_err(|_| AccountError::Hashing)?;
    tokio::task::spawn_blocking(move || {
        let taken = lock(&workspace.memories).pop();
        let mut memory = taken.unwrap_or_default();
        let result = work(&mut memory);
        // What argon2 leaves there is derived from the password: not kept.
        memory.fill(Block::new());
        lock(&workspace.memories).push(memory);
        drop(slot);
        result
    })
    .await
    .map_err(|_| AccountError::Hashing)?
}

/// The pool is only pushed to and popped from: a panic cannot leave it half-changed.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `argon2`'s output for `password` and raw `salt`, computed in `memory` (grown to what the
/// parameters need, which for our own hashes happens once per slot).
fn compute(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: Salt<'_>,
    output_len: usize,
    memory: &mut Vec<Block>,
) -> Result<Output, AccountError> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|_| AccountError::Hashing)?;
    let blocks = argon2.params().block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    Output::init_with(output_len, |out| {
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
            .map_err(Into::into)
    })
    .map_err(|_| AccountError::Hashing)
}

/// Hashes with argon2id and its default parameters, as a PHC string (`$argon2id$v=19$…`).
pub async fn hash(password: &str) -> Result<String, AccountError> {
    let password = password.to_owned();
    with_argon2_memory(move |memory| {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|_| AccountError::Hashing)?;
        let salt = SaltString::encode_b64(&salt).map_err(|_| AccountError::Hashing)?;
        let argon2 = Argon2::default();
        let output = compute(
            &argon2,
            password.as_bytes(),
            salt.as_salt(),
            Params::DEFAULT_OUTPUT_LEN,
            memory,
        )?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(argon2.params()).map_err(|_| AccountError::Hashing)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(hash.to_string())
    })
    .await
}

/// Checks `password` against a stored hash; `None` (unknown account) still spends the same time
/// so response timing does not tell which e-mails are registered.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, AccountError> {
    let password = password.to_owned();
    let stored = stored.map(str::to_owned);
    with_argon2_memory(move |memory| {
        let (hash, known) = match &stored {
            Some(hash) => (hash.as_str(), true),
            None => (TIMING_DUMMY_HASH, false),
        };
        let parsed = PasswordHash::new(hash).map_err(|_| AccountError::Hashing)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(AccountError::Hashing);
        };
        let argon2 = Argon2::new(
            Algorithm::try_from(parsed.algorithm).map_err(|_| AccountError::Hashing)?,
            parsed
                .version
                .map(Version::try_from)
                .transpose()
                .map_err(|_| AccountError::Hashing)?
                .unwrap_or_default(),
            Params::try_from(&parsed).map_err(|_| AccountError::Hashing)?,
        );
        let computed = compute(&argon2, password.as_bytes(), salt, expected.len(), memory)?;
        // `Output`'s comparison takes the same time wherever the first difference is.
        Ok(known && computed == expected)
    })
    .await
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

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_hasher() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let theirs = Argon2::default()
            .hash_password(
                b"es-teler-segar-5",
                &SaltString::encode_b64(b"sixteen byte salt").unwrap(),
            )
            .unwrap()
            .to_string();
        assert!(verify("es-teler-segar-5", Some(&theirs)).await.unwrap());
        assert!(!verify("es-teler-segar-6", Some(&theirs)).await.unwrap());
        let ours = hash("es-teler-segar-5").await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"es-teler-segar-5", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"es-teler-segar-6", &parsed)
                .is_err()
        );
        // Other parameters than ours are still checked with their own.
        let light = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        )
        .hash_password(
            b"es-teler-segar-5",
            &SaltString::encode_b64(b"sixteen byte salt").unwrap(),
        )
        .unwrap()
        .to_string();
        assert!(verify("es-teler-segar-5", Some(&light)).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_hashes_at_once_share_one_memory_per_slot_left_zeroed() {
        let mut hashing = tokio::task::JoinSet::new();
        for n in 0..12 {
            hashing.spawn(async move {
                let password = format!("kopi-tubruk-pagi-{n}");
                (hash(&password).await.unwrap(), password)
            });
        }
        while let Some(hashed) = hashing.join_next().await {
            let (hash, password) = hashed.unwrap();
            assert!(verify(&password, Some(&hash)).await.unwrap());
        }
        // Memories in use by other tests are out of the pool: it never holds more than slots.
        let memories = lock(&workspace().memories);
        let slots = std::thread::available_parallelism().map_or(2, NonZero::get);
        assert!(
            memories.len() <= slots,
            "{} memories for {slots} slots",
            memories.len()
        );
        for memory in memories.iter() {
            assert_eq!(memory.len(), Params::DEFAULT_M_COST as usize);
            assert!(
                memory
                    .iter()
                    .all(|block| block.as_ref().iter().all(|word| *word == 0))
            );
        }
    }

    #[tokio::test]
    async fn a_check_that_finds_every_slot_taken_for_its_wait_is_answered_busy() {
        let slots = std::thread::available_parallelism().map_or(2, NonZero::get);
        let taken = workspace()
            .slots
            .acquire_many(u32::try_from(slots).unwrap())
            .await
            .unwrap();
        let wait = Duration::from_millis(50);
        let refused = with_argon2_memory_within(wait, |_| Ok(()))
            .await
            .unwrap_err();
        assert!(matches!(refused, AccountError::Busy), "{refused:?}");
        drop(taken);
        with_argon2_memory_within(wait, |_| Ok(())).await.unwrap();
    }
}
