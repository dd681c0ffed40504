//! Customers' SSH public keys: kept by name in their profile, chosen at order and rebuild, and
//! handed to the provider adapters, which install them the provider's way.
//!
//! Only what a cloud image's sshd accepts is stored: ed25519, ECDSA (NIST P-256/384/521) and RSA
//! of at least 2048 bits. Keys are kept in one normalised line (`type base64 [comment]`) with the
//! SHA256 fingerprint `ssh-keygen -l` prints, so people can recognise their key and a key saved
//! twice is caught by the database.

use chrono::{DateTime, Utc};
use ssh_key::public::KeyData;
use ssh_key::{EcdsaCurve, HashAlg, PublicKey};

use crate::audit::{self, AuditEvent};
use crate::caller::ClientInfo;
use crate::error::Code;
use crate::providers::SshPublicKey;
use crate::{Db, DbError, db_run, tx_run};

/// Longest input looked at. A 16384-bit RSA key (the largest OpenSSH takes) is under 3 KiB.
pub const MAX_INPUT_BYTES: usize = 8 * 1024;
pub const MIN_RSA_BITS: u32 = 2048;
/// OpenSSH refuses larger RSA keys, so a server could never be reached with one.
pub const MAX_RSA_BITS: u32 = 16384;
pub const MAX_NAME_CHARS: usize = 64;

const ACCEPTED_TYPES: [&str; 5] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
];

#[derive(Debug, thiserror::Error)]
pub enum SshKeyError {
    #[error("paste an SSH public key: one line such as `ssh-ed25519 AAAA… you@laptop`")]
    Empty,
    #[error(
        "this is not an OpenSSH public key; paste one line such as `ssh-ed25519 AAAA… you@laptop`"
    )]
    Invalid,
    #[error("a public key is one line of at most 8 KiB; this input is longer")]
    TooLong,
    #[error(
        "this is a private key; paste the .pub file instead, and keep the private key to yourself"
    )]
    PrivateKey,
    #[error("paste one key at a time")]
    Multiple,
    #[error("`{0}` keys are not supported; use ed25519, ecdsa or rsa")]
    Unsupported(String),
    #[error("DSA keys are too weak and OpenSSH no longer accepts them; use ed25519")]
    Dsa,
    #[error("this RSA key has {bits} bits; at least 2048 are required (or use ed25519)")]
    RsaTooShort { bits: u32 },
    #[error("this RSA key has {bits} bits; OpenSSH accepts at most 16384")]
    RsaTooLong { bits: u32 },
    #[error("name the key with 1 to 64 characters")]
    NameInvalid,
    #[error("you already have a key named \"{0}\"")]
    NameTaken(String),
    #[error("this key is already saved as \"{0}\"")]
    Duplicate(String),
    #[error("no such SSH key")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl crate::error::ErrorCode for SshKeyError {
    fn code(&self) -> Code {
        match self {
            Self::Empty | Self::Invalid | Self::TooLong | Self::RsaTooLong { .. } => {
                Code::SshKeyInvalid
            }
            Self::PrivateKey => Code::SshKeyPrivate,
            Self::Multiple => Code::SshKeyMultiple,
            Self::Unsupported(_) => Code::SshKeyUnsupported,
            Self::Dsa | Self::RsaTooShort { .. } => Code::SshKeyTooWeak,
            Self::NameInvalid => Code::SshKeyNameInvalid,
            Self::NameTaken(_) => Code::SshKeyNameTaken,
            Self::Duplicate(_) => Code::SshKeyDuplicate,
            Self::NotFound => Code::NotFound,
            Self::Db(error) => crate::error::ErrorCode::code(error),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::NameInvalid | Self::NameTaken(_) => Some("name"),
            Self::NotFound | Self::Db(_) => None,
            _ => Some("public_key"),
        }
    }
}

impl From<sqlx::Error> for SshKeyError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Ed25519,
    Ecdsa,
    Rsa,
}

impl KeyAlgorithm {
    /// The value stored in `ssh_keys.algorithm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::Ecdsa => "ecdsa",
            Self::Rsa => "rsa",
        }
    }
}

/// A public key that passed validation, in the form it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedKey {
    /// One line: `type base64` and the comment, if any, with whitespace collapsed.
    pub openssh: String,
    /// `SHA256:…`, unpadded base64, exactly as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub algorithm: KeyAlgorithm,
    /// Curve size for ed25519/ECDSA, modulus size for RSA.
    pub bits: u32,
}

/// Checks a pasted public key and normalises it; says precisely what is wrong otherwise.
pub fn parse_public_key(input: &str) -> Result<ParsedKey, SshKeyError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(SshKeyError::TooLong);
    }
    // Checked first so a private key is never half-parsed, echoed or stored by mistake.
    if input.contains("PRIVATE KEY-----") || input.contains("PuTTY-User-Key-File") {
        return Err(SshKeyError::PrivateKey);
    }
    let lines: Vec<&str> = input
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let line = match lines.as_slice() {
        [] => return Err(SshKeyError::Empty),
        [line] => *line,
        // Several lines of a type name each are several keys (an authorized_keys file); other
        // multi-line input (RFC 4716 / PuTTY export, a key wrapped by a terminal) is the wrong form.
        _ if lines
            .iter()
            .filter(|line| looks_like_key_line(line))
            .count()
            > 1 =>
        {
            return Err(SshKeyError::Multiple);
        }
        _ => return Err(SshKeyError::Invalid),
    };

    let mut words = line.split_whitespace();
    let (Some(key_type), Some(data)) = (words.next(), words.next()) else {
        return Err(SshKeyError::Invalid);
    };
    let comment: String = words
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if key_type == "ssh-dss" {
        return Err(SshKeyError::Dsa);
    }
    if !ACCEPTED_TYPES.contains(&key_type) {
        return Err(if looks_like_key_type(key_type) {
            SshKeyError::Unsupported(key_type.to_owned())
        } else {
            SshKeyError::Invalid
        });
    }
    // The library checks the base64, the wire format and that the type inside the blob matches
    // the one in front of it.
    let key =
        PublicKey::from_openssh(&format!("{key_type} {data}")).map_err(|_| SshKeyError::Invalid)?;
    let (algorithm, bits) = match key.key_data() {
        KeyData::Ed25519(_) => (KeyAlgorithm::Ed25519, 256),
        KeyData::Ecdsa(ecdsa) => match ecdsa.curve() {
            EcdsaCurve::NistP256 => (KeyAlgorithm::Ecdsa, 256),
            EcdsaCurve::NistP384 => (KeyAlgorithm::Ecdsa, 384),
            EcdsaCurve::NistP521 => (KeyAlgorithm::Ecdsa, 521),
        },
        KeyData::Rsa(rsa) => {
            let modulus = rsa.n.as_positive_bytes().ok_or(SshKeyError::Invalid)?;
            let exponent = rsa.e.as_positive_bytes().ok_or(SshKeyError::Invalid)?;
            // An RSA modulus is a product of two odd primes and the exponent is odd: anything
            // else is a damaged key no server would accept.
            let odd = |bytes: &[u8]| bytes.last().is_some_and(|last| last & 1 == 1);
            if !odd(modulus) || !odd(exponent) || exponent == [1] {
                return Err(SshKeyError::Invalid);
            }
            let bits = bit_length(modulus);
            if bits < MIN_RSA_BITS {
                return Err(SshKeyError::RsaTooShort { bits });
            }
            if bits > MAX_RSA_BITS {
                return Err(SshKeyError::RsaTooLong { bits });
            }
            (KeyAlgorithm::Rsa, bits)
        }
        // Unreachable after the type check above; refused rather than trusted.
        _ => return Err(SshKeyError::Unsupported(key_type.to_owned())),
    };
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    let openssh = PublicKey::new(key.key_data().clone(), comment)
        .to_openssh()
        .map_err(|_| SshKeyError::Invalid)?;
    Ok(ParsedKey {
        openssh,
        fingerprint,
        algorithm,
        bits,
    })
}

/// The first word names an SSH key algorithm (`ssh-…`, `ecdsa-…`, `sk-…`, `…@openssh.com`).
fn looks_like_key_type(word: &str) -> bool {
    word.starts_with("ssh-")
        || word.starts_with("ecdsa-")
        || word.starts_with("sk-")
        || word.ends_with("@openssh.com")
}

fn looks_like_key_line(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .is_some_and(|word| word == "ssh-dss" || looks_like_key_type(word))
}

/// Significant bits of a big-endian unsigned integer without leading zero bytes.
fn bit_length(bytes: &[u8]) -> u32 {
    let Some(first) = bytes.first() else {
        return 0;
    };
    let bits = (bytes.len() - 1) * 8 + (8 - first.leading_zeros() as usize);
    u32::try_from(bits).unwrap_or(u32::MAX)
}

/// A key's name, trimmed: 1 to 64 characters, no control characters.
pub fn parse_name(input: &str) -> Result<String, SshKeyError> {
    let name = input.trim();
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(SshKeyError::NameInvalid);
    }
    Ok(name.to_owned())
}

/// A saved key.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SshKey {
    pub id: i64,
    pub name: String,
    pub public_key: String,
    pub fingerprint: String,
    /// `ed25519`, `ecdsa` or `rsa`.
    pub algorithm: String,
    pub bits: i64,
    pub created_at: DateTime<Utc>,
}

/// The key as pages and the REST API show it (see [`model::ssh_keys::SshKey`]).
impl From<SshKey> for model::ssh_keys::SshKey {
    fn from(key: SshKey) -> Self {
        Self {
            id: key.id.into(),
            name: key.name,
            public_key: key.public_key,
            fingerprint: key.fingerprint,
            algorithm: key.algorithm,
            bits: key.bits,
            created_at: key.created_at,
        }
    }
}

impl From<SshKey> for SshPublicKey {
    fn from(key: SshKey) -> Self {
        Self {
            name: key.name,
            openssh: key.public_key,
            fingerprint: key.fingerprint,
        }
    }
}

/// Validates and saves a key for `user_id`. The same name or the same key twice is refused, by
/// the database's unique constraints rather than a check that could race.
pub async fn add(
    db: &Db,
    user_id: i64,
    name: &str,
    public_key: &str,
    client: &ClientInfo,
) -> Result<SshKey, SshKeyError> {
    let name = parse_name(name)?;
    let key = parse_public_key(public_key)?;
    let mut tx = db.begin().await?;
    let inserted: Option<SshKey> = tx_run!(&mut tx, |conn| {
        sqlx::query_as::<_, SshKey>(
            "INSERT INTO ssh_keys (user_id, name, public_key, fingerprint, algorithm, bits, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING \
             RETURNING id, name, public_key, fingerprint, algorithm, bits, created_at",
        )
        .bind(user_id)
        .bind(&name)
        .bind(&key.openssh)
        .bind(&key.fingerprint)
        .bind(key.algorithm.as_str())
        .bind(i64::from(key.bits))
        .bind(Utc::now())
        .fetch_optional(conn)
        .await
    })?;
    let Some(saved) = inserted else {
        // One of the two unique constraints held; the same key is the more useful thing to say.
        let existing: Option<String> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT name FROM ssh_keys WHERE user_id = $1 AND fingerprint = $2")
                .bind(user_id)
                .bind(&key.fingerprint)
                .fetch_optional(conn)
                .await
        })?;
        return Err(match existing {
            Some(existing) => SshKeyError::Duplicate(existing),
            None => SshKeyError::NameTaken(name),
        });
    };
    audit::record(
        &mut tx,
        event(
            "ssh_key_added",
            user_id,
            client,
            &saved.name,
            &saved.fingerprint,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// The user's keys, oldest first.
pub async fn list(db: &Db, user_id: i64) -> Result<Vec<SshKey>, SshKeyError> {
    Ok(db_run!(db, |pool| {
        sqlx::query_as::<_, SshKey>(
            "SELECT id, name, public_key, fingerprint, algorithm, bits, created_at \
             FROM ssh_keys WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await
    })?)
}

/// Deletes one of the user's keys; someone else's key is `NotFound`, as if it did not exist.
/// Servers that already have the key keep it: removing it here only stops future installs.
pub async fn remove(
    db: &Db,
    user_id: i64,
    id: i64,
    client: &ClientInfo,
) -> Result<(), SshKeyError> {
    let mut tx = db.begin().await?;
    let removed: Option<(String, String)> = tx_run!(&mut tx, |conn| {
        sqlx::query_as(
            "DELETE FROM ssh_keys WHERE id = $1 AND user_id = $2 RETURNING name, fingerprint",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(conn)
        .await
    })?;
    let (name, fingerprint) = removed.ok_or(SshKeyError::NotFound)?;
    audit::record(
        &mut tx,
        event("ssh_key_removed", user_id, client, &name, &fingerprint),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The keys `ids` names, in that order (repeats once), for a provider to install on a server of
/// `user_id`. Any id that is not one of that user's keys is `NotFound`.
pub async fn for_provisioning(
    db: &Db,
    user_id: i64,
    ids: &[i64],
) -> Result<Vec<SshPublicKey>, SshKeyError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // A customer has a handful of keys: reading them all beats building an `IN (…)` list.
    let mut owned = list(db, user_id).await?;
    let mut chosen = Vec::with_capacity(ids.len());
    for id in ids {
        if chosen.iter().any(|(seen, _)| seen == id) {
            continue;
        }
        let index = owned
            .iter()
            .position(|key| key.id == *id)
            .ok_or(SshKeyError::NotFound)?;
        chosen.push((*id, owned.swap_remove(index)));
    }
    Ok(chosen.into_iter().map(|(_, key)| key.into()).collect())
}

fn event<'a>(
    action: &'a str,
    user_id: i64,
    client: &'a ClientInfo,
    name: &str,
    fingerprint: &str,
) -> AuditEvent<'a> {
    AuditEvent {
        action,
        actor_user_id: Some(user_id),
        subject_user_id: Some(user_id),
        ip: Some(&client.ip),
        detail: Some(format!("{name} ({fingerprint})")),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    // Generated for these tests with `ssh-keygen -t … -C …`; fingerprints from `ssh-keygen -lf`.
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C budi@laptop";
    const ECDSA_256: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNRoovc822CX0PHR8yxic0HdypnizIbMIuYvt6CPyBMH7YA3TvMC7cY1fW2bhL71cGhn9ZWMcs1NNpcozLcP6xw= ecdsa256";
    // As ssh-keygen writes it with an empty comment: a trailing space.
    const ECDSA_384: &str = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBEPCJ9hGwA8bO9FNbJuS1Nd5Y/qziyz6mu61vjbAC2eEZyFuqOdVT13nd++9zV5RNQO3s5TeLEh7robKS9HoyNScAbcJXXXPmC0q1R+hy5zEIKyL1cTHaina9RA8KHeG7w== ";
    const ECDSA_521: &str = "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAE6bzMZdwn4od2ce9noA7EflWwZX8uk2+eSi4S+6CtGX8N2QdKX2z7gsbrnrGLEBRhg2oCDGhTtG3QmrILyGAIe2QFgYM2VReU9zVKZimYkYdA4Pn0WmBKGbDxvyqTP5qs8rU3jNipi0pK+goF4KmxU89kJpEUU1ykNRKPgx3nE/CpboA== ecdsa521 with spaces";
    const RSA_2048: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCTLv3cJI3WZeXFbMkyc9LtxMSINkSSuAaZnCybc+Q8qoMVfNmsHIPa2+GBYpeg1lHi6hEYadj4b2b9/1XF7kpJJF3xWx1x0y6oW/Q5xYEk6ckVzNem48xC1QKZaKampy5LU2KYVh/u89RG0UoX8UTmMQME8Sv+m0BBsYl75Y5fHiau0OT4g2FJW62YjttAw0Xt5F7TQQ0fMBJOb0m0cY25npLL8PZBxzYIVfq9PaBVbuJ2GbZrySCaCdrWrAz3AplS8r9LarDYZr9b3LcIyHv6FY9gz5f6+u+PhDA/haXvJ16kj6XmNeahaB87CNi5OFFBYQzTInstbfR3f8BgsWfT rsa2048";
    const RSA_4096: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQCaKNAs7QbS2cAc5aC3Gt5fWLK06wKOtjF8II7Qxdd+FMq6riVZNN+0+3XDuAgTFcsVIq5XpiGybmNUS7JLpzVJC9zJ+rvnRtJEpp4/O4+cqQ6lRmWULN7MPFSJUiF40zN5ujEjxaBS5b7N7Tn50QXY/ZemH9VIolTEO+kjIfJCWfglwkh1jzqx17lqKAogGU4OsjKJuOk9sdGE3snjPoDidoqnabLxIU8NFLh1nQ7hu7AOPub7b+3CBIOilr8nr08BqcvumX0aZOpZ98jLE/ZLnHXxY5M8q62ieI8iA1lpwNYK8gxtejfFYMsqy/a2sC3nhRg3DmbWyQ8C1s8kzbr0RzLx9EB7eHIxFgI5owP/wCnu+KpH7auCxu/ugZi9ICFkQJ6AgrEpxL2CCRlw9T9dUX84+haYhNsmZPDE+SLuci/Vfc2GQ4bMtimmUQMFVn+g735Lq8LDO1BF2M2y0W6TqrjWwhB+lqBIJtVENl++fjXHpMeEZ0evW78EuK+ZtIYLmuVG61FodfB7QV2GUhsRWMWT76XOqjaXRS9J6WNozAtDgrHUZjKmSvNF81g8Hja7ZARxMWP40RuXrJcTXufz0Iy74fFLw1zd0X1YzwsDYG2aVBNoPMGPS1QbVZZnEiv6S+x5K90VrF8x8TTPGaht8N4Jn1DCccV6uynTjZ3dOQ== rsa4096";
    const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC95tmeuzUhPfiTL319W5WCIoERMUtlnYBbT3YIUJOox5vFkmiBhxjG8zqVCEHp70KUMSRF8qhg2QmectFLcWr7U9OslpKcT4Dq++oYkazvvCiH4dJGCQxLJVNUsDPQq8sF34PUS55YwcU/21emahu1mWjIaN9LqHts7NqDGHeimw== rsa1024";
    const DSA: &str = "ssh-dss AAAAB3NzaC1kc3MAAACBAKk3UDWVfARR7mT2C2Rj1Ik4ot9Qw5XSfmLd903LZuIv2kM4up8k9PY/JjWJZpSuzMPTcRn/k+l/ka9gf109I3QFVDDFjg3PFBEMtyRurZFg1PbslbZxQn8XprUTHGDq2SqyIPD2Hi4BVzts5UrdcfsPe+1KqpXGaJLD+s4tSuOFAAAAFQDiXfawc6ns0Hr4xQ9fO4ubs805KQAAAIAznDc73yrTedxs9LCvbQeObwZDRwV0ttntwkLyJ0D911au86wS903tFU11IJ8YpMPc/TKxhY6k8DS5wryzPEjRRnqE1euSH5/Zno8HdN4l2qxsqLJgU1qYMYsxLanOHZ+KZ8/eoWxY4tgdCNuFJkGvGMmPiXD32YfmqIuT35c0MwAAAIBhrO9dVBR8gMRGbA4H2Y/BNQLWAd0MTQB9dViMsi7GY8ScbQOY1lS1IXtAEdamkiiCLNKPjE+AZcTIvlH65Lm3pylnqt+qjr5BP+HWeXYPlEvSudVoMll/bI57mwOhwxPrgODZuzOC0G2FjHnfG5Wnb19r+dnM++IagLbO7NjMxA== root@vm";

    fn parsed(input: &str) -> ParsedKey {
        parse_public_key(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    fn refused(input: &str) -> SshKeyError {
        match parse_public_key(input) {
            Ok(key) => panic!("accepted {input:?} as {key:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn accepted_keys_match_ssh_keygen() {
        let cases = [
            (
                ED25519,
                KeyAlgorithm::Ed25519,
                256,
                "SHA256:WodgPDn5ds4QcgbC5T636Gl84wAyKPale7CpBHYD7xM",
            ),
            (
                ECDSA_256,
                KeyAlgorithm::Ecdsa,
                256,
                "SHA256:fdy+qXOrU1q+BF+Zk+VmQwrpEF6017PvRfw4jOkgLqA",
            ),
            (
                ECDSA_384,
                KeyAlgorithm::Ecdsa,
                384,
                "SHA256:RV0qm5IfCH3gxPgbG4eQdoYB+ZDGLSWrRhP1aDaKbLQ",
            ),
            (
                ECDSA_521,
                KeyAlgorithm::Ecdsa,
                521,
                "SHA256:hc79ZiNgQ0no26BQoiLUgOyZCZq0TD3XhiMdV4e5M24",
            ),
            (
                RSA_2048,
                KeyAlgorithm::Rsa,
                2048,
                "SHA256:Q/ALS5dYomHichamJLc/DzLJVPmGJ6NpzgVIoMFES5o",
            ),
            (
                RSA_4096,
                KeyAlgorithm::Rsa,
                4096,
                "SHA256:3gGzDJJzZCAtbGqCMNf8H6sSIQ7ZBmSSxzrMXahNn60",
            ),
        ];
        for (input, algorithm, bits, fingerprint) in cases {
            let key = parsed(input);
            assert_eq!(
                (key.algorithm, key.bits, key.fingerprint.as_str()),
                (algorithm, bits, fingerprint),
                "{input}"
            );
            assert_eq!(key.openssh, input.trim_end());
        }
    }

    #[test]
    fn whitespace_and_comments_are_normalised() {
        let messy = "\r\n  ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C   budi   di\tkantor \r\n\n";
        let key = parsed(messy);
        assert_eq!(
            key.openssh,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C budi di kantor"
        );
        let bare = parsed(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C",
        );
        assert_eq!(bare.fingerprint, parsed(ED25519).fingerprint);
        assert!(!bare.openssh.ends_with(' '));
    }

    #[test]
    fn weak_keys_are_refused_with_the_reason() {
        assert!(matches!(
            refused(RSA_1024),
            SshKeyError::RsaTooShort { bits: 1024 }
        ));
        assert!(matches!(refused(DSA), SshKeyError::Dsa));
        assert_eq!(refused(RSA_1024).code(), Code::SshKeyTooWeak);
        assert_eq!(refused(DSA).code(), Code::SshKeyTooWeak);
        assert!(refused(RSA_1024).to_string().contains("1024 bits"));
    }

    #[test]
    fn a_private_key_is_recognised_and_never_echoed() {
        for input in [
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n",
        ] {
            let error = refused(input);
            assert!(matches!(error, SshKeyError::PrivateKey));
            assert_eq!(error.code(), Code::SshKeyPrivate);
            assert!(error.to_string().contains(".pub"));
            assert!(!error.to_string().contains("b3BlbnNz"));
        }
    }

    #[test]
    fn garbage_and_damaged_keys_are_invalid() {
        for input in [
            "hello",
            "ssh-ed25519",
            "ssh-ed25519 not-base64!",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P",
            // The blob says ssh-ed25519, the text says something else.
            "ecdsa-sha2-nistp256 AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C",
            // authorized_keys options in front of the key.
            "no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C",
            "---- BEGIN SSH2 PUBLIC KEY ----\nAAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C\n---- END SSH2 PUBLIC KEY ----",
        ] {
            let error = refused(input);
            assert_eq!(error.code(), Code::SshKeyInvalid, "{input}: {error:?}");
            assert_eq!(error.field(), Some("public_key"));
        }
        assert!(matches!(refused("  \n "), SshKeyError::Empty));
        let huge = format!("{ED25519} {}", "x".repeat(MAX_INPUT_BYTES));
        assert!(matches!(refused(&huge), SshKeyError::TooLong));
    }

    #[test]
    fn one_key_at_a_time() {
        let two = format!("{ED25519}\n{RSA_2048}\n");
        assert!(matches!(refused(&two), SshKeyError::Multiple));
        assert_eq!(refused(&two).code(), Code::SshKeyMultiple);
    }

    #[test]
    fn other_key_types_are_unsupported() {
        for key_type in [
            "sk-ssh-ed25519@openssh.com",
            "ssh-ed25519-cert-v01@openssh.com",
            "ssh-ed448",
        ] {
            let error = refused(&format!("{key_type} AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhg"));
            assert!(
                matches!(&error, SshKeyError::Unsupported(t) if t == key_type),
                "{error:?}"
            );
            assert_eq!(error.code(), Code::SshKeyUnsupported);
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            parse_name("  Laptop kantor ").ok().as_deref(),
            Some("Laptop kantor")
        );
        assert!(parse_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        for bad in ["", "   ", "tab\there", &"a".repeat(MAX_NAME_CHARS + 1)] {
            let error = parse_name(bad).unwrap_err();
            assert_eq!(
                (error.code(), error.field()),
                (Code::SshKeyNameInvalid, Some("name"))
            );
        }
    }

    #[test]
    fn bit_length_counts_from_the_top_bit() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0x7f, 0, 0]), 23);
    }
}
