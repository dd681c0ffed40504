//! Accounts and sessions: sign-up with a verified e-mail, log-in with optional TOTP, rotating
//! refresh tokens with theft detection, password reset and change, profiles, roles, suspension.

pub mod emails;
pub mod inputs;
pub mod password;
pub mod session;
pub mod tokens;
pub mod two_factor;

use chrono::{DateTime, Duration, Utc};

use self::emails::AccountEmail;
use self::inputs::{Email, Language, PersonName, Phone};
use self::password::NewPassword;
use self::tokens::{JwtKeys, REFRESH_TOKEN_LIFETIME, random_token, token_hash};
use crate::audit::{self, AuditEvent};
use crate::db::Tx;
use crate::error::Code;
use crate::notifications::{Notice, notify};
use crate::{Db, DbError, db_run, mail, tx_run};

const VERIFY_EMAIL_LIFETIME: Duration = Duration::hours(24);
const RESET_PASSWORD_LIFETIME: Duration = Duration::hours(1);
/// Failed log-ins allowed before the account locks; each further failure doubles the lock.
const FAILURES_BEFORE_LOCK: i64 = 5;
const MAX_LOCK: Duration = Duration::hours(24);
/// Two requests racing with the same refresh token (two tabs) are not theft; a replay later is.
const REFRESH_RACE_WINDOW: Duration = Duration::seconds(30);

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        code: Code,
        message: &'static str,
    },
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("a two-factor code is required")]
    TwoFactorRequired,
    #[error("wrong two-factor code")]
    InvalidTwoFactorCode,
    #[error("too many failed attempts; try again after {until}")]
    Locked { until: DateTime<Utc> },
    #[error("this account is suspended")]
    Suspended,
    #[error("not signed in, or the session has ended")]
    Unauthenticated,
    #[error("a refresh token was used twice; the session has been ended")]
    RefreshReuse,
    #[error("this link is invalid, used or expired")]
    LinkInvalid,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error("two-factor authentication is already on")]
    TwoFactorAlreadyEnabled,
    #[error("start two-factor set-up first")]
    TwoFactorNotStarted,
    #[error("admins only")]
    Forbidden,
    #[error("no such account or session")]
    NotFound,
    #[error("an account with this e-mail already exists")]
    AlreadyExists,
    #[error("password hashing failed")]
    Hashing,
    #[error("too many password checks at once; try again in a moment")]
    Busy,
    #[error("token signing failed")]
    Signing,
    #[error("the system random source failed")]
    Randomness,
    #[error("two-factor set-up failed")]
    TwoFactorSetup,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl AccountError {
    pub(crate) fn invalid(field: &'static str, code: Code, message: &'static str) -> Self {
        Self::Invalid {
            field,
            code,
            message,
        }
    }

    /// A stable machine-readable code the UI translates.
    pub fn code(&self) -> Code {
        match self {
            Self::Invalid { code, .. } => *code,
            Self::InvalidCredentials => Code::InvalidCredentials,
            Self::TwoFactorRequired => Code::TwoFactorRequired,
            Self::InvalidTwoFactorCode => Code::InvalidTwoFactorCode,
            Self::Locked { .. } => Code::AccountLocked,
            Self::Suspended => Code::AccountSuspended,
            Self::Unauthenticated => Code::Unauthenticated,
            Self::RefreshReuse => Code::RefreshReused,
            Self::LinkInvalid => Code::LinkInvalid,
            Self::WrongCurrentPassword => Code::WrongCurrentPassword,
            Self::TwoFactorAlreadyEnabled => Code::TwoFactorAlreadyEnabled,
            Self::TwoFactorNotStarted => Code::TwoFactorNotStarted,
            Self::Forbidden => Code::Forbidden,
            Self::NotFound => Code::NotFound,
            Self::AlreadyExists => Code::AlreadyExists,
            Self::Busy => Code::Busy,
            Self::Hashing
            | Self::Signing
            | Self::Randomness
            | Self::TwoFactorSetup
            | Self::Db(_) => Code::Internal,
        }
    }
}

impl crate::error::ErrorCode for AccountError {
    fn code(&self) -> Code {
        AccountError::code(self)
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Locked { until } => (*until - Utc::now())
                .max(chrono::Duration::seconds(1))
                .to_std()
                .ok(),
            Self::Busy => Some(std::time::Duration::from_secs(2)),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for AccountError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

pub use model::accounts::Role;

/// An account without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub language: Language,
    pub email_verified: bool,
    pub suspended: bool,
    pub two_factor_enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    phone: Option<String>,
    password_hash: String,
    role: String,
    language: String,
    email_verified_at: Option<DateTime<Utc>>,
    suspended_at: Option<DateTime<Utc>>,
    totp_secret: Option<String>,
    totp_enabled_at: Option<DateTime<Utc>>,
    failed_logins: i64,
    locked_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "id, email, name, phone, password_hash, role, language, email_verified_at, \
     suspended_at, totp_secret, totp_enabled_at, failed_logins, locked_until, created_at";

impl UserRow {
    fn public(&self) -> User {
        User {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            phone: self.phone.clone(),
            role: Role::from_stored(&self.role),
            language: Language::from_code(&self.language).unwrap_or_default(),
            email_verified: self.email_verified_at.is_some(),
            suspended: self.suspended_at.is_some(),
            two_factor_enabled: self.totp_enabled_at.is_some(),
            created_at: self.created_at,
        }
    }

    fn language(&self) -> Language {
        Language::from_code(&self.language).unwrap_or_default()
    }

    /// An audit event about this account, from `client`.
    fn audit<'a>(&'a self, action: &'a str, client: &'a ClientInfo) -> AuditEvent<'a> {
        AuditEvent {
            action,
            subject_user_id: Some(self.id),
            subject_email: Some(&self.email),
            ip: Some(&client.ip),
            ..Default::default()
        }
    }

    fn email(&self, email: AccountEmail<'_>) -> mail::OutgoingEmail {
        email.render(&self.email, &self.name, self.language())
    }
}

/// What every authenticated request checks about its session and account.
#[derive(sqlx::FromRow)]
struct SessionCheck {
    role: String,
    email_verified_at: Option<DateTime<Utc>>,
    suspended_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

/// Where a request came from, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub session_id: i64,
    pub role: Role,
    pub email_verified: bool,
}

impl Caller {
    pub fn require_admin(&self) -> Result<(), AccountError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AccountError::Forbidden)
        }
    }
}

/// A fresh pair of tokens for the browser's cookies or an API client.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: i64,
    pub user: User,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: i64,
    pub user_agent: String,
    pub ip: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
}

/// Accounts as pages and the REST API show them (see [`model::accounts`]): a column added here
/// reaches them only when it is added there too.
impl From<User> for model::accounts::User {
    fn from(user: User) -> Self {
        Self {
            id: user.id.into(),
            email: user.email,
            name: user.name,
            phone: user.phone,
            role: user.role,
            language: user.language,
            email_verified: user.email_verified,
            suspended: user.suspended,
            two_factor_enabled: user.two_factor_enabled,
            created_at: user.created_at,
        }
    }
}

impl SessionInfo {
    /// The session as its owner's list shows it, `current` when it is the one asking.
    pub fn into_view(self, current_session_id: i64) -> model::accounts::Session {
        model::accounts::Session {
            current: self.id == current_session_id,
            id: self.id,
            user_agent: self.user_agent,
            ip: self.ip,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

impl From<two_factor::TotpSetup> for model::accounts::TwoFactorSetup {
    fn from(setup: two_factor::TotpSetup) -> Self {
        Self {
            secret: setup.secret_base32,
            otpauth_uri: setup.otpauth_uri,
            qr_data_url: setup.qr_svg_data_url,
        }
    }
}

pub struct SignUp<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub phone: Option<&'a str>,
    pub language: Language,
}

pub struct Login<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// A TOTP code or a recovery code, when the account has two-factor on.
    pub second_factor: Option<&'a str>,
}

pub struct ProfileUpdate<'a> {
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub language: Language,
}

/// The accounts service: the database, the token keys, and the public address for e-mail links.
#[derive(Clone, Debug)]
pub struct Accounts {
    db: Db,
    keys: JwtKeys,
    public_url: String,
}

impl Accounts {
    pub fn new(db: Db, keys: JwtKeys, public_url: &str) -> Self {
        Self {
            db,
            keys,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }

    async fn user_by_email(
        &self,
        tx: &mut Tx,
        email: &str,
    ) -> Result<Option<UserRow>, AccountError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        Ok(tx_run!(tx, |conn| {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(email)
                .fetch_optional(conn)
                .await
        })?)
    }

    async fn user_by_id(&self, tx: &mut Tx, id: i64) -> Result<UserRow, AccountError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        tx_run!(tx, |conn| {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await
        })?
        .ok_or(AccountError::NotFound)
    }

    /// The account with this e-mail address, for an admin acting on a customer's behalf.
    pub async fn find_by_email(&self, admin: &Caller, email: &str) -> Result<User, AccountError> {
        admin.require_admin()?;
        let email = Email::parse(email)?;
        let mut tx = self.db.begin().await?;
        let user = self
            .user_by_email(&mut tx, email.as_str())
            .await?
            .ok_or(AccountError::NotFound)?
            .public();
        tx.commit().await?;
        Ok(user)
    }

    pub async fn user(&self, id: i64) -> Result<User, AccountError> {
        let mut tx = self.db.begin().await?;
        let user = self.user_by_id(&mut tx, id).await?.public();
        tx.commit().await?;
        Ok(user)
    }

    async fn insert_email_token(
        &self,
        tx: &mut Tx,
        user_id: i64,
        purpose: &str,
        lifetime: Duration,
    ) -> Result<String, AccountError> {
        let token = random_token()?;
        let now = Utc::now();
        tx_run!(tx, |conn| {
            sqlx::query(
                "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash(&token))
            .bind(user_id)
            .bind(purpose)
            .bind(now)
            .bind(now + lifetime)
            .execute(conn)
            .await.map(|done| done.rows_affected())
        })?;
        Ok(token)
    }

    /// Marks an e-mail token used and returns its user, if it is valid for `purpose`.
    async fn consume_email_token(
        &self,
        tx: &mut Tx,
        token: &str,
        purpose: &str,
    ) -> Result<i64, AccountError> {
        let now = Utc::now();
        let row: Option<(i64, DateTime<Utc>)> = tx_run!(tx, |conn| {
            sqlx::query_as(
                "UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL \
                 RETURNING user_id, expires_at",
            )
            .bind(now)
            .bind(token_hash(token))
            .bind(purpose)
            .fetch_optional(conn)
            .await
        })?;
        match row {
            Some((user_id, expires_at)) if expires_at > now => Ok(user_id),
            _ => Err(AccountError::LinkInvalid),
        }
    }

    /// Creates a customer account and sends the verification e-mail. An e-mail that already has
    /// an account gets a notice instead, and the caller sees the same answer either way, so
    /// sign-up cannot be used to find out who is registered.
    #[tracing::instrument(skip_all)]
    pub async fn sign_up(
        &self,
        input: SignUp<'_>,
        client: &ClientInfo,
    ) -> Result<(), AccountError> {
        let name = PersonName::parse(input.name)?;
        let email = Email::parse(input.email)?;
        let phone = Phone::parse_optional(input.phone)?;
        let password = NewPassword::parse(input.password, email.as_str())?;
        let password_hash = password::hash(password.as_str()).await?;
        let now = Utc::now();

        let mut tx = self.db.begin().await?;
        let inserted: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO users (email, name, phone, password_hash, role, language, failed_logins, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'customer', $5, 0, $6, $6) ON CONFLICT (email) DO NOTHING RETURNING id",
            )
            .bind(email.as_str())
            .bind(name.as_str())
            .bind(phone.as_ref().map(Phone::as_str))
            .bind(&password_hash)
            .bind(input.language.code())
            .bind(now)
            .fetch_optional(conn)
            .await
        })?;
        match inserted {
            Some(user_id) => {
                let token = self
                    .insert_email_token(&mut tx, user_id, "verify_email", VERIFY_EMAIL_LIFETIME)
                    .await?;
                let link = self.link("/verify-email", &token);
                let user = self.user_by_id(&mut tx, user_id).await?;
                mail::enqueue(
                    &mut tx,
                    &user.email(AccountEmail::VerifyEmail { link: &link }),
                )
                .await?;
                audit::record(
                    &mut tx,
                    AuditEvent {
                        action: "signup",
                        subject_user_id: Some(user_id),
                        subject_email: Some(email.as_str()),
                        ip: Some(&client.ip),
                        ..Default::default()
                    },
                )
                .await?;
            }
            None => {
                let existing = self
                    .user_by_email(&mut tx, email.as_str())
                    .await?
                    .ok_or(AccountError::NotFound)?;
                let login_link = format!("{}/login", self.public_url);
                let reset_link = format!("{}/forgot-password", self.public_url);
                let notice = AccountEmail::AlreadyRegistered {
                    login_link: &login_link,
                    reset_link: &reset_link,
                };
                mail::enqueue(&mut tx, &existing.email(notice)).await?;
                audit::record(
                    &mut tx,
                    AuditEvent {
                        action: "signup_existing_email",
                        subject_user_id: Some(existing.id),
                        subject_email: Some(email.as_str()),
                        ip: Some(&client.ip),
                        ..Default::default()
                    },
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sends a fresh verification link to a signed-in user who has not verified yet.
    pub async fn resend_verification(&self, caller: &Caller) -> Result<(), AccountError> {
        let mut tx = self.db.begin().await?;
        let user = self.user_by_id(&mut tx, caller.user_id).await?;
        if user.email_verified_at.is_none() {
            let token = self
                .insert_email_token(&mut tx, user.id, "verify_email", VERIFY_EMAIL_LIFETIME)
                .await?;
            let link = self.link("/verify-email", &token);
            mail::enqueue(
                &mut tx,
                &user.email(AccountEmail::VerifyEmail { link: &link }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn verify_email(&self, token: &str) -> Result<User, AccountError> {
        let mut tx = self.db.begin().await?;
        let user_id = self
            .consume_email_token(&mut tx, token, "verify_email")
            .await?;
        let now = Utc::now();
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1), updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(user_id)
                .execute(conn)
                .await.map(|done| done.rows_affected())
        })?;
        let user = self.user_by_id(&mut tx, user_id).await?;
        audit::record(
            &mut tx,
            AuditEvent {
                action: "email_verified",
                subject_user_id: Some(user_id),
                subject_email: Some(&user.email),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user.public())
    }

    /// Checks the password (and the second factor when on), counts failures towards a lock,
    /// and opens a session.
    #[tracing::instrument(skip_all)]
    pub async fn log_in(
        &self,
        input: Login<'_>,
        client: &ClientInfo,
    ) -> Result<IssuedTokens, AccountError> {
        let email = input.email.trim().to_lowercase();
        let mut tx = self.db.begin().await?;
        let user = self.user_by_email(&mut tx, &email).await?;
        let now = Utc::now();
        if let Some(until) = user
            .as_ref()
            .and_then(|u| u.locked_until)
            .filter(|until| *until > now)
        {
            return Err(AccountError::Locked { until });
        }
        let password_ok = password::verify(
            input.password,
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
        let Some(user) = user.filter(|_| password_ok) else {
            let locked = match self.user_by_email(&mut tx, &email).await? {
                Some(user) => self.count_failure(&mut tx, &user, client).await?,
                None => None,
            };
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
            return Err(locked.map_or(AccountError::InvalidCredentials, |until| {
                AccountError::Locked { until }
            }));
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
                let locked = self.count_failure(&mut tx, &user, client).await?;
                audit::record(
                    &mut tx,
                    AuditEvent {
                        detail: Some("wrong two-factor code".into()),
                        ..user.audit("login_failed", client)
                    },
                )
                .await?;
                tx.commit().await?;
                return Err(locked.map_or(AccountError::InvalidTwoFactorCode, |until| {
                    AccountError::Locked { until }
                }));
            }
        }
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
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

    /// Counts a failed attempt; from the fifth on, locks the account for 1, 2, 4 … minutes (at
    /// most a day) and tells the owner. Returns the lock's end when one starts.
    async fn count_failure(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        client: &ClientInfo,
    ) -> Result<Option<DateTime<Utc>>, AccountError> {
        let failures = user.failed_logins + 1;
        let lock = (failures >= FAILURES_BEFORE_LOCK).then(|| {
            let doublings = u32::try_from((failures - FAILURES_BEFORE_LOCK).min(11)).unwrap_or(11);
            Duration::minutes(1_i64 << doublings).min(MAX_LOCK)
        });
        let until = lock.map(|lock| Utc::now() + lock);
        tx_run!(tx, |conn| {
            sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                .bind(failures)
                .bind(until)
                .bind(user.id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        if let Some(lock) = lock {
            mail::enqueue(
                tx,
                &user.email(AccountEmail::AccountLocked {
                    minutes: lock.num_minutes(),
                }),
            )
            .await?;
            audit::record(
                tx,
                AuditEvent {
                    action: "account_locked",
                    subject_user_id: Some(user.id),
                    subject_email: Some(&user.email),
                    ip: Some(&client.ip),
                    detail: Some(format!(
                        "{failures} failures, locked {} min",
                        lock.num_minutes()
                    )),
                    ..Default::default()
                },
            )
            .await?;
        }
        Ok(until)
    }

    /// Accepts a TOTP code once: its time step must be later than the last one accepted.
    async fn use_totp_code(
        &self,
        tx: &mut Tx,
        user_id: i64,
        secret: &str,
        code: &str,
    ) -> Result<bool, AccountError> {
        let Some(step) = two_factor::matching_step(secret, code, two_factor::unix_now()) else {
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

    async fn use_recovery_code(
        &self,
        tx: &mut Tx,
        user_id: i64,
        code: &str,
    ) -> Result<bool, AccountError> {
        let hash = token_hash(&two_factor::normalise_recovery_code(code));
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
    async fn revoke_sessions_of(
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

    fn self_event<'a>(
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

    /// Sends a reset link when the e-mail has an active account; answers the same either way.
    pub async fn request_password_reset(
        &self,
        email: &str,
        client: &ClientInfo,
    ) -> Result<(), AccountError> {
        let email = email.trim().to_lowercase();
        let mut tx = self.db.begin().await?;
        if let Some(user) = self
            .user_by_email(&mut tx, &email)
            .await?
            .filter(|u| u.suspended_at.is_none())
        {
            let token = self
                .insert_email_token(&mut tx, user.id, "reset_password", RESET_PASSWORD_LIFETIME)
                .await?;
            let link = self.link("/reset-password", &token);
            mail::enqueue(
                &mut tx,
                &user.email(AccountEmail::ResetPassword { link: &link }),
            )
            .await?;
        }
        audit::record(
            &mut tx,
            AuditEvent {
                action: "password_reset_requested",
                subject_email: Some(&email),
                ip: Some(&client.ip),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password from a reset link; every session ends and the lock is lifted.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        client: &ClientInfo,
    ) -> Result<(), AccountError> {
        let mut tx = self.db.begin().await?;
        let user_id = self
            .consume_email_token(&mut tx, token, "reset_password")
            .await?;
        let user = self.user_by_id(&mut tx, user_id).await?;
        let password = NewPassword::parse(new_password, &user.email)?;
        self.set_password(&mut tx, &user, password, None).await?;
        audit::record(&mut tx, user.audit("password_reset", client)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the password after checking the current one; other sessions end.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new_password: &str,
        client: &ClientInfo,
    ) -> Result<(), AccountError> {
        let mut tx = self.db.begin().await?;
        let user = self.user_by_id(&mut tx, caller.user_id).await?;
        if !password::verify(current, Some(&user.password_hash)).await? {
            return Err(AccountError::WrongCurrentPassword);
        }
        let password = NewPassword::parse(new_password, &user.email)?;
        self.set_password(&mut tx, &user, password, Some(caller.session_id))
            .await?;
        audit::record(&mut tx, self.self_event("password_changed", caller, client)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        password: NewPassword,
        keep_session: Option<i64>,
    ) -> Result<(), AccountError> {
        let hash = password::hash(password.as_str()).await?;
        let now = Utc::now();
        tx_run!(tx, |conn| {
            sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3")
                .bind(&hash)
                .bind(now)
                .bind(user.id)
                .execute(conn)
                .await.map(|done| done.rows_affected())
        })?;
        self.revoke_sessions_of(tx, user.id, keep_session, "password_changed")
            .await?;
        notify(tx, user.id, &Notice::password_changed()).await?;
        Ok(())
    }

    pub async fn update_profile(
        &self,
        caller: &Caller,
        update: ProfileUpdate<'_>,
    ) -> Result<User, AccountError> {
        let name = PersonName::parse(update.name)?;
        let phone = Phone::parse_optional(update.phone)?;
        let mut tx = self.db.begin().await?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE users SET name = $1, phone = $2, language = $3, updated_at = $4 WHERE id = $5")
                .bind(name.as_str())
                .bind(phone.as_ref().map(Phone::as_str))
                .bind(update.language.code())
                .bind(Utc::now())
                .bind(caller.user_id)
                .execute(conn)
                .await.map(|done| done.rows_affected())
        })?;
        let user = self.user_by_id(&mut tx, caller.user_id).await?.public();
        tx.commit().await?;
        Ok(user)
    }

    /// Starts two-factor set-up: a new secret, shown once as a QR code, not yet required.
    pub async fn begin_two_factor(
        &self,
        caller: &Caller,
    ) -> Result<two_factor::TotpSetup, AccountError> {
        let mut tx = self.db.begin().await?;
        let user = self.user_by_id(&mut tx, caller.user_id).await?;
        if user.totp_enabled_at.is_some() {
            return Err(AccountError::TwoFactorAlreadyEnabled);
        }
        let secret = two_factor::new_secret()?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2")
                .bind(&secret)
                .bind(user.id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        tx.commit().await?;
        two_factor::setup(&secret, &user.email)
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
        let codes = two_factor::new_recovery_codes()?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user.id)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())?;
            for code in &codes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user.id)
                    .bind(token_hash(&two_factor::normalise_recovery_code(code)))
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
        if !password::verify(current_password, Some(&user.password_hash)).await? {
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

    /// Accounts for the admin list, newest first; `search` matches e-mail or name.
    pub async fn list_users(
        &self,
        caller: &Caller,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<User>, AccountError> {
        caller.require_admin()?;
        let pattern = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("%{}%", s.to_lowercase()));
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE (CAST($1 AS TEXT) IS NULL OR email LIKE $1 OR LOWER(name) LIKE $1) \
             ORDER BY id DESC LIMIT $2 OFFSET $3"
        );
        let rows = db_run!(&self.db, |pool| {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(pattern.as_deref())
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await
        })?;
        Ok(rows.iter().map(UserRow::public).collect())
    }

    /// Suspends (ending every session) or re-activates an account.
    pub async fn set_suspended(
        &self,
        caller: &Caller,
        user_id: i64,
        suspended: bool,
        client: &ClientInfo,
    ) -> Result<User, AccountError> {
        caller.require_admin()?;
        let mut tx = self.db.begin().await?;
        let user = self.user_by_id(&mut tx, user_id).await?;
        let now = Utc::now();
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE users SET suspended_at = $1, updated_at = $2 WHERE id = $3")
                .bind(suspended.then_some(now))
                .bind(now)
                .bind(user.id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        if suspended {
            self.revoke_sessions_of(&mut tx, user.id, None, "suspended")
                .await?;
        }
        audit::record(
            &mut tx,
            AuditEvent {
                action: if suspended {
                    "user_suspended"
                } else {
                    "user_reactivated"
                },
                actor_user_id: Some(caller.user_id),
                subject_user_id: Some(user.id),
                subject_email: Some(&user.email),
                ip: Some(&client.ip),
                ..Default::default()
            },
        )
        .await?;
        let user = self.user_by_id(&mut tx, user.id).await?.public();
        tx.commit().await?;
        Ok(user)
    }

    /// Gives an account the admin or customer role.
    pub async fn set_role(
        &self,
        caller: &Caller,
        user_id: i64,
        role: Role,
        client: &ClientInfo,
    ) -> Result<User, AccountError> {
        caller.require_admin()?;
        let mut tx = self.db.begin().await?;
        let user = self.user_by_id(&mut tx, user_id).await?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
                .bind(role.as_str())
                .bind(Utc::now())
                .bind(user.id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        audit::record(
            &mut tx,
            AuditEvent {
                action: "role_changed",
                actor_user_id: Some(caller.user_id),
                subject_user_id: Some(user.id),
                subject_email: Some(&user.email),
                ip: Some(&client.ip),
                detail: Some(format!("{} -> {}", user.role, role.as_str())),
            },
        )
        .await?;
        let user = self.user_by_id(&mut tx, user.id).await?.public();
        tx.commit().await?;
        Ok(user)
    }

    /// The operator's way to make the first admin (`server create-admin`): verified at once.
    pub async fn create_admin(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<User, AccountError> {
        let email = Email::parse(email)?;
        let name = PersonName::parse(name)?;
        let password = NewPassword::parse(password, email.as_str())?;
        let hash = password::hash(password.as_str()).await?;
        let now = Utc::now();
        let mut tx = self.db.begin().await?;
        let id: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO users (email, name, password_hash, role, language, email_verified_at, failed_logins, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'admin', 'id', $4, 0, $4, $4) ON CONFLICT (email) DO NOTHING RETURNING id",
            )
            .bind(email.as_str())
            .bind(name.as_str())
            .bind(&hash)
            .bind(now)
            .fetch_optional(conn)
            .await
        })?;
        let id = id.ok_or(AccountError::AlreadyExists)?;
        audit::record(
            &mut tx,
            AuditEvent {
                action: "admin_created",
                subject_user_id: Some(id),
                subject_email: Some(email.as_str()),
                detail: Some("server create-admin".into()),
                ..Default::default()
            },
        )
        .await?;
        let user = self.user_by_id(&mut tx, id).await?.public();
        tx.commit().await?;
        Ok(user)
    }
}
