//! Log-in (counting failures and telling the owner when they pile up), rotating refresh tokens
//! with theft detection, the access check of every request, log-out, and the list of open
//! sessions.
//!
//! Failures never lock an account: a lock anyone can trigger keeps its owner out. Guessing is
//! slowed per client instead (the log-in limit, counted per client and per address from that
//! client), so the owner, from anywhere else, still gets in; and nothing a refused attempt is
//! told says whether the account exists.

use chrono::{DateTime, Duration, Utc};

use super::emails::AccountEmail;
use super::password::{self};
use super::tokens::REFRESH_TOKEN_LIFETIME;
use super::{AccountError, Accounts, IssuedTokens, Login, Role, SessionInfo, UserRow};
use crate::audit::{self, AuditEvent};
use crate::caller::{Caller, ClientInfo};
use crate::db::Tx;
use crate::notifications::{Notice, notify};
use crate::secrets::{random_token, token_hash};
use crate::{db_run, mail, tx_run};

/// Failed password or code checks in a row after which the owner is e-mailed (once, until a
/// log-in succeeds or the password changes).
const FAILURES_BEFORE_NOTICE: i64 = 5;
/// Two requests racing with the same refresh token (two tabs) are not theft; a replay later is.
const REFRESH_RACE_WINDOW: Duration = Duration::seconds(30);

/// What every authenticated request checks about its session and account.
#[derive(sqlx::FromRow)]
struct SessionCheck {
    role: String,
    email_verified_at: Option<DateTime<Utc>>,
    suspended_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl Accounts {
    /// Checks the password (and the second factor when on), counts failures, and opens a
    /// session.
    #[tracing::instrument(skip_all)]
    pub async fn log_in(
        &self,
        input: Login<'_>,
        client: &ClientInfo,
    ) -> Result<IssuedTokens, AccountError> {
        let email = input.email.trim().to_lowercase();
        let mut tx = self.db.begin().await?;
        let user = self.user_by_email(&mut tx, &email).await?;
        let password_ok = password::verify(
            input.password,
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
        let Some(user) = user.filter(|_| password_ok) else {
            if let Some(user) = self.user_by_email(&mut tx, &email).await? {
                self.count_failure(&mut tx, &user, client).await?;
            }
            audit::record(
                &mut tx,
                AuditEvent {
                    action: "login_failed",
                    subject_email: Some(&email),
                    ip: Some(&client.ip),
                    detail: Some("wrong e-mail or password".into()),
                    ..Default::default()
                },
            )
            .await?;
            tx.commit().await?;
            return Err(AccountError::InvalidCredentials);
        };
        if user.suspended_at.is_some() {
            return Err(AccountError::Suspended);
        }
        if let (Some(secret), Some(_)) = (&user.totp_secret, user.totp_enabled_at) {
            let Some(code) = input.second_factor.filter(|c| !c.trim().is_empty()) else {
                return Err(AccountError::TwoFactorRequired);
            };
            if !self.use_totp_code(&mut tx, user.id, secret, code).await?
                && !self.use_recovery_code(&mut tx, user.id, code).await?
            {
                self.count_failure(&mut tx, &user, client).await?;
                audit::record(
                    &mut tx,
                    AuditEvent {
                        detail: Some("wrong two-factor code".into()),
                        ..user.audit("login_failed", client)
                    },
                )
                .await?;
                tx.commit().await?;
                return Err(AccountError::InvalidTwoFactorCode);
            }
        }
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE users SET failed_logins = 0 WHERE id = $1")
                .bind(user.id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        let tokens = self.open_session(&mut tx, &user, client).await?;
        audit::record(
            &mut tx,
            AuditEvent {
                action: "login",
                actor_user_id: Some(user.id),
                subject_user_id: Some(user.id),
                subject_email: Some(&user.email),
                ip: Some(&client.ip),
                detail: Some(format!("session {}", tokens.session_id)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(tokens)
    }

    /// Counts a failed password or code check on `user`'s account, in one statement so that
    /// attempts at the same moment all count; the one that reaches [`FAILURES_BEFORE_NOTICE`]
    /// e-mails the owner.
    async fn count_failure(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        client: &ClientInfo,
    ) -> Result<(), AccountError> {
        let failures: i64 = tx_run!(tx, |conn| {
            sqlx::query_scalar(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
            )
            .bind(user.id)
            .fetch_one(conn)
            .await
        })?;
        if failures == FAILURES_BEFORE_NOTICE {
            mail::enqueue(tx, &user.email(AccountEmail::FailedLogIns { failures })).await?;
            audit::record(
                tx,
                AuditEvent {
                    action: "login_failures_noticed",
                    subject_user_id: Some(user.id),
                    subject_email: Some(&user.email),
                    ip: Some(&client.ip),
                    detail: Some(format!("{failures} failed checks in a row; owner e-mailed")),
                    ..Default::default()
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Checks the signed-in user's password before a change that needs it; a wrong one counts
    /// like a failed log-in (written in `tx`, which the caller commits either way).
    pub(super) async fn current_password_holds(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        current: &str,
        client: &ClientInfo,
    ) -> Result<bool, AccountError> {
        let holds = password::verify(current, Some(&user.password_hash)).await?;
        if !holds {
            self.count_failure(tx, user, client).await?;
        }
        Ok(holds)
    }

    async fn open_session(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        client: &ClientInfo,
    ) -> Result<IssuedTokens, AccountError> {
        let now = Utc::now();
        let user_agent: String = client.user_agent.chars().take(300).collect();
        // A new device is a User-Agent none of the user's sessions (open, ended or expired) ever
        // had; the very first session is no news. IPs change too often (mobile, DHCP) to count.
        let (sessions_before, same_device): (i64, i64) = tx_run!(tx, |conn| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM sessions WHERE user_id = $1), \
                 (SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND user_agent = $2)",
            )
            .bind(user.id)
            .bind(&user_agent)
            .fetch_one(conn)
            .await
        })?;
        if sessions_before > 0 && same_device == 0 {
            notify(
                tx,
                user.id,
                &Notice::new_device_login(&user_agent, &client.ip),
            )
            .await?;
        }
        let session_id: i64 = tx_run!(tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO sessions (user_id, user_agent, ip, created_at, last_used_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
            )
            .bind(user.id)
            .bind(&user_agent)
            .bind(&client.ip)
            .bind(now)
            .bind(now + REFRESH_TOKEN_LIFETIME)
            .fetch_one(conn)
            .await
        })?;
        let refresh_token = self.insert_refresh_token(tx, session_id, now).await?;
        let role = Role::from_stored(&user.role);
        Ok(IssuedTokens {
            access_token: self.keys.issue(user.id, session_id, role, now)?,
            refresh_token,
            session_id,
            user: user.public(),
        })
    }

    async fn insert_refresh_token(
        &self,
        tx: &mut Tx,
        session_id: i64,
        now: DateTime<Utc>,
    ) -> Result<String, AccountError> {
        let token = random_token()?;
        tx_run!(tx, |conn| {
            sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)")
                .bind(token_hash(&token))
                .bind(session_id)
                .bind(now)
                .execute(conn)
                .await.map(|done| done.rows_affected())
        })?;
        Ok(token)
    }

    /// Exchanges a refresh token for a new pair. A token presented a second time means it was
    /// copied: the whole session (every token of its family) ends.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &ClientInfo,
    ) -> Result<IssuedTokens, AccountError> {
        let now = Utc::now();
        let mut tx = self.db.begin().await?;
        let found: Option<(i64, Option<DateTime<Utc>>)> = tx_run!(&mut tx, |conn| {
            sqlx::query_as("SELECT session_id, used_at FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash(refresh_token))
                .fetch_optional(conn)
                .await
        })?;
        let Some((session_id, used_at)) = found else {
            return Err(AccountError::Unauthenticated);
        };
        if let Some(used_at) = used_at {
            if now - used_at < REFRESH_RACE_WINDOW {
                return Err(AccountError::Unauthenticated);
            }
            let user_id = self
                .revoke_session_row(&mut tx, session_id, "refresh_token_reused")
                .await?;
            audit::record(
                &mut tx,
                AuditEvent {
                    action: "refresh_token_reused",
                    subject_user_id: user_id,
                    ip: Some(&client.ip),
                    detail: Some(format!("session {session_id} revoked")),
                    ..Default::default()
                },
            )
            .await?;
            tx.commit().await?;
            return Err(AccountError::RefreshReuse);
        }
        let session: Option<(i64, Option<DateTime<Utc>>, DateTime<Utc>)> =
            tx_run!(&mut tx, |conn| {
                sqlx::query_as("SELECT user_id, revoked_at, expires_at FROM sessions WHERE id = $1")
                    .bind(session_id)
                    .fetch_optional(conn)
                    .await
            })?;
        let Some((user_id, None, expires_at)) = session else {
            return Err(AccountError::Unauthenticated);
        };
        if expires_at <= now {
            return Err(AccountError::Unauthenticated);
        }
        let user = self.user_by_id(&mut tx, user_id).await?;
        if user.suspended_at.is_some() {
            return Err(AccountError::Suspended);
        }
        let marked = tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
            )
            .bind(now)
            .bind(token_hash(refresh_token))
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        if marked != 1 {
            return Err(AccountError::Unauthenticated);
        }
        let new_refresh = self.insert_refresh_token(&mut tx, session_id, now).await?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE sessions SET last_used_at = $1, ip = $2 WHERE id = $3")
                .bind(now)
                .bind(&client.ip)
                .bind(session_id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        tx.commit().await?;
        Ok(IssuedTokens {
            access_token: self.keys.issue(
                user.id,
                session_id,
                Role::from_stored(&user.role),
                now,
            )?,
            refresh_token: new_refresh,
            session_id,
            user: user.public(),
        })
    }

    /// Resolves an access token to its caller, checking that the session is still open and the
    /// account not suspended, so revocation takes effect on the next request.
    pub async fn authenticate(&self, access_token: &str) -> Result<Caller, AccountError> {
        let claims = self.keys.verify(access_token)?;
        let user_id: i64 = claims
            .sub
            .parse()
            .map_err(|_| AccountError::Unauthenticated)?;
        let row: Option<SessionCheck> = db_run!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT u.role, u.email_verified_at, u.suspended_at, s.revoked_at \
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2",
            )
            .bind(claims.sid)
            .bind(user_id)
            .fetch_optional(pool)
            .await
        })?;
        match row {
            Some(SessionCheck {
                role,
                email_verified_at,
                suspended_at: None,
                revoked_at: None,
            }) => Ok(Caller {
                user_id,
                session_id: claims.sid,
                role: Role::from_stored(&role),
                email_verified: email_verified_at.is_some(),
            }),
            _ => Err(AccountError::Unauthenticated),
        }
    }

    /// Whether the caller's session is still open: not ended (log-out, "log out everywhere", a
    /// password change, an admin), not expired, and the account not suspended. A socket asks
    /// this on every heartbeat, since its access token was checked only when it opened.
    pub async fn session_open(&self, caller: &Caller) -> Result<bool, AccountError> {
        let open: Option<i64> = db_run!(&self.db, |pool| {
            sqlx::query_scalar(
                "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 \
                 AND u.suspended_at IS NULL",
            )
            .bind(caller.session_id)
            .bind(caller.user_id)
            .bind(Utc::now())
            .fetch_optional(pool)
            .await
        })?;
        Ok(open.is_some())
    }

    /// Ends one session; returns its owner.
    async fn revoke_session_row(
        &self,
        tx: &mut Tx,
        session_id: i64,
        reason: &str,
    ) -> Result<Option<i64>, AccountError> {
        Ok(tx_run!(tx, |conn| {
            sqlx::query_scalar(
                "UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1), revoked_reason = COALESCE(revoked_reason, $2) \
                 WHERE id = $3 RETURNING user_id",
            )
            .bind(Utc::now())
            .bind(reason)
            .bind(session_id)
            .fetch_optional(conn)
            .await
        })?)
    }

    /// Ends every open session of a user except `keep`.
    pub(super) async fn revoke_sessions_of(
        &self,
        tx: &mut Tx,
        user_id: i64,
        keep: Option<i64>,
        reason: &str,
    ) -> Result<u64, AccountError> {
        let result = tx_run!(tx, |conn| {
            sqlx::query(
                "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 \
                 WHERE user_id = $3 AND revoked_at IS NULL AND id <> $4",
            )
            .bind(Utc::now())
            .bind(reason)
            .bind(user_id)
            .bind(keep.unwrap_or(-1))
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(result)
    }

    pub async fn log_out(&self, caller: &Caller, client: &ClientInfo) -> Result<(), AccountError> {
        let mut tx = self.db.begin().await?;
        self.revoke_session_row(&mut tx, caller.session_id, "logout")
            .await?;
        audit::record(&mut tx, self.self_event("logout", caller, client)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn log_out_everywhere(
        &self,
        caller: &Caller,
        client: &ClientInfo,
    ) -> Result<(), AccountError> {
        let mut tx = self.db.begin().await?;
        self.revoke_sessions_of(&mut tx, caller.user_id, None, "logout_all")
            .await?;
        audit::record(&mut tx, self.self_event("logout_all", caller, client)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) fn self_event<'a>(
        &self,
        action: &'a str,
        caller: &Caller,
        client: &'a ClientInfo,
    ) -> AuditEvent<'a> {
        AuditEvent {
            action,
            actor_user_id: Some(caller.user_id),
            subject_user_id: Some(caller.user_id),
            ip: Some(&client.ip),
            ..Default::default()
        }
    }

    pub async fn sessions(&self, caller: &Caller) -> Result<Vec<SessionInfo>, AccountError> {
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as::<_, SessionInfo>(
                "SELECT id, user_agent, ip, created_at, last_used_at FROM sessions \
                 WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_used_at DESC",
            )
            .bind(caller.user_id)
            .bind(Utc::now())
            .fetch_all(pool)
            .await
        })?)
    }

    pub async fn revoke_session(
        &self,
        caller: &Caller,
        session_id: i64,
        client: &ClientInfo,
    ) -> Result<(), AccountError> {
        let mut tx = self.db.begin().await?;
        let owner: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT user_id FROM sessions WHERE id = $1 AND revoked_at IS NULL")
                .bind(session_id)
                .fetch_optional(conn)
                .await
        })?;
        if owner != Some(caller.user_id) {
            return Err(AccountError::NotFound);
        }
        self.revoke_session_row(&mut tx, session_id, "revoked_by_user")
            .await?;
        let mut event = self.self_event("session_revoked", caller, client);
        event.detail = Some(format!("session {session_id}"));
        audit::record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }
}
