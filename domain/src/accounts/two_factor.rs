//! TOTP two-factor authentication (RFC 6238: SHA-1, 6 digits, 30 s, as every authenticator app
//! expects) and single-use recovery codes.

use chrono::Utc;
use totp_rs::{Algorithm, Secret, TOTP};

use super::{AccountError, Accounts};
use crate::audit::{self};
use crate::caller::{Caller, ClientInfo};
use crate::db::Tx;
use crate::notifications::{Notice, notify};
use crate::secrets::{SealedFor, token_hash};
use crate::tx_run;

pub const RECOVERY_CODE_COUNT: usize = 10;
const ISSUER: &str = "Webrana Cloud";

/// What the set-up page shows: the secret as text, as an `otpauth://` link, and as a QR code.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri` as an SVG data URL, ready for an `<img src>`.
    pub qr_svg_data_url: String,
}

pub fn new_secret() -> Result<String, AccountError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|_| AccountError::Randomness)?;
    Ok(Secret::Raw(bytes.to_vec()).to_encoded().to_string())
}

fn totp(secret_base32: &str, account: &str) -> Result<TOTP, AccountError> {
    let bytes = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|_| AccountError::TwoFactorSetup)?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|_| AccountError::TwoFactorSetup)
}

pub fn setup(secret_base32: &str, account: &str) -> Result<TotpSetup, AccountError> {
    let otpauth_uri = totp(secret_base32, account)?.get_url();
    let qr_svg_data_url =
        crate::qr::svg_data_url(&otpauth_uri, 200).ok_or(AccountError::TwoFactorSetup)?;
    Ok(TotpSetup {
        secret_base32: secret_base32.to_owned(),
        otpauth_uri,
        qr_svg_data_url,
    })
}

/// The 30-second time step `code` belongs to, if it matches the step of `unix_now` or the one
/// just before or after it (clock drift). Callers remember the step so a code works once.
pub fn matching_step(secret_base32: &str, code: &str, unix_now: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret_base32, "check").ok()?;
    let now_step = unix_now / 30;
    [now_step.saturating_sub(1), now_step, now_step + 1]
        .into_iter()
        .find(|step| totp.generate(step * 30) == code)
        .and_then(|step| i64::try_from(step).ok())
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

/// The code an authenticator app would show at `unix_time` (tests and the browser test use it).
pub fn code_at(secret_base32: &str, unix_time: u64) -> Result<String, AccountError> {
    Ok(totp(secret_base32, "check")?.generate(unix_time))
}

/// Ten codes like `k7m2-x9qp`, easy to read and type, each about 40 bits of randomness.
pub fn new_recovery_codes() -> Result<Vec<String>, AccountError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; RECOVERY_CODE_COUNT * 8];
    getrandom::fill(&mut bytes).map_err(|_| AccountError::Randomness)?;
    Ok(bytes
        .chunks(8)
        .map(|chunk| {
            let chars: String = chunk
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..4], &chars[4..])
        })
        .collect())
}

/// Recovery codes are compared case- and dash-insensitively.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Accounts {
    /// Accepts a TOTP code once: its time step must be later than the last one accepted.
    pub(super) async fn use_totp_code(
        &self,
        tx: &mut Tx,
        user_id: i64,
        sealed_secret: &str,
        code: &str,
    ) -> Result<bool, AccountError> {
        let secret = self
            .secrets
            .open(sealed_secret, SealedFor::TotpSecret { user_id })?;
        let Some(step) = matching_step(&secret, code, unix_now()) else {
            return Ok(false);
        };
        let recorded = tx_run!(tx, |conn| {
            sqlx::query(
                "UPDATE users SET totp_last_step = $1 \
                 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(user_id)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(recorded == 1)
    }

    pub(super) async fn use_recovery_code(
        &self,
        tx: &mut Tx,
        user_id: i64,
        code: &str,
    ) -> Result<bool, AccountError> {
        let hash = token_hash(&normalise_recovery_code(code));
        let used = tx_run!(tx, |conn| {
            sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
                .bind(Utc::now())
                .bind(user_id)
                .bind(&hash)
                .execute(conn)
                .await.map(|done| done.rows_affected())
        })?;
        Ok(used == 1)
    }

    /// Starts two-factor set-up: a new secret, shown once as a QR code, not yet required.
    pub async fn begin_two_factor(&self, caller: &Caller) -> Result<TotpSetup, AccountError> {
        let mut tx = self.db.begin().await?;
        let user = self.user_by_id(&mut tx, caller.user_id).await?;
        if user.totp_enabled_at.is_some() {
            return Err(AccountError::TwoFactorAlreadyEnabled);
        }
        let secret = new_secret()?;
        let sealed = self
            .secrets
            .seal(&secret, SealedFor::TotpSecret { user_id: user.id })?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2")
                .bind(&sealed)
                .bind(user.id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        tx.commit().await?;
        setup(&secret, &user.email)
    }

    /// Turns two-factor on once the app shows a matching code; returns the ten recovery codes,
    /// which are stored only as hashes and never shown again.
    pub async fn confirm_two_factor(
        &self,
        caller: &Caller,
        code: &str,
        client: &ClientInfo,
    ) -> Result<Vec<String>, AccountError> {
        let mut tx = self.db.begin().await?;
        let user = self.user_by_id(&mut tx, caller.user_id).await?;
        if user.totp_enabled_at.is_some() {
            return Err(AccountError::TwoFactorAlreadyEnabled);
        }
        let secret = user
            .totp_secret
            .as_deref()
            .ok_or(AccountError::TwoFactorNotStarted)?;
        if !self.use_totp_code(&mut tx, user.id, secret, code).await? {
            return Err(AccountError::InvalidTwoFactorCode);
        }
        let codes = new_recovery_codes()?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user.id)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())?;
            for code in &codes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user.id)
                    .bind(token_hash(&normalise_recovery_code(code)))
                    .execute(&mut *conn)
                    .await
                    .map(|done| done.rows_affected())?;
            }
            sqlx::query("UPDATE users SET totp_enabled_at = $1 WHERE id = $2")
                .bind(Utc::now())
                .bind(user.id)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        notify(&mut tx, user.id, &Notice::two_factor_enabled()).await?;
        audit::record(
            &mut tx,
            self.self_event("two_factor_enabled", caller, client),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Turns two-factor off; asks for the password so a borrowed session cannot do it.
    pub async fn disable_two_factor(
        &self,
        caller: &Caller,
        current_password: &str,
        client: &ClientInfo,
    ) -> Result<(), AccountError> {
        let mut tx = self.db.begin().await?;
        let user = self.user_by_id(&mut tx, caller.user_id).await?;
        if !self
            .current_password_holds(&mut tx, &user, current_password, client)
            .await?
        {
            tx.commit().await?;
            return Err(AccountError::WrongCurrentPassword);
        }
        tx_run!(&mut tx, |conn| {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user.id)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())?;
            sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE id = $1")
                .bind(user.id)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        notify(&mut tx, user.id, &Notice::two_factor_disabled()).await?;
        audit::record(
            &mut tx,
            self.self_event("two_factor_disabled", caller, client),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_the_secret_are_accepted_and_others_not() {
        let secret = new_secret().unwrap();
        let now = unix_now();
        let code = code_at(&secret, now).unwrap();
        let step = i64::try_from(now / 30).unwrap();
        assert_eq!(matching_step(&secret, &code, now), Some(step));
        assert_eq!(
            matching_step(&secret, &format!("{} {}", &code[..3], &code[3..]), now),
            Some(step)
        );
        // One step of drift either way is accepted, and reports its own step.
        assert_eq!(
            matching_step(&secret, &code_at(&secret, now + 30).unwrap(), now),
            Some(step + 1)
        );
        assert_eq!(
            matching_step(&secret, &code_at(&secret, now - 120).unwrap(), now),
            None
        );
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        assert_eq!(matching_step(&secret, &wrong, now), None);
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn setup_gives_an_otpauth_uri_and_a_qr_code() {
        let secret = new_secret().unwrap();
        let setup = setup(&secret, "budi@example.com").unwrap();
        assert!(
            setup
                .otpauth_uri
                .starts_with("otpauth://totp/Webrana%20Cloud:budi%40example.com?"),
            "{}",
            setup.otpauth_uri
        );
        assert!(setup.otpauth_uri.contains(&format!("secret={secret}")));
        assert!(
            setup
                .qr_svg_data_url
                .starts_with("data:image/svg+xml;base64,")
        );
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving_to_type() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODE_COUNT);
        assert_eq!(normalise_recovery_code(" K7M2-X9QP "), "k7m2x9qp");
    }
}
