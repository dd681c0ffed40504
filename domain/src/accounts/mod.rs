//! Accounts: the user row and what every part below shares. The work is split by what a person
//! is doing: [`sign_up`], [`sessions`] (log-in with optional TOTP, rotating refresh tokens with
//! theft detection, log-out), [`recovery`] (password reset), [`profile`], [`two_factor`], and
//! what [`admin`]s do to accounts (roles, suspension).

pub mod emails;
pub mod inputs;
pub mod password;
pub mod request;
pub mod tokens;
pub mod two_factor;

mod admin;
mod billing_details;
mod profile;
mod recovery;
mod sessions;
mod sign_up;

use chrono::{DateTime, Duration, Utc};

pub use self::billing_details::BillingDetailsUpdate;
use self::emails::AccountEmail;
use self::inputs::Language;
use self::tokens::JwtKeys;
use crate::audit::AuditEvent;
use crate::caller::ClientInfo;
use crate::db::Tx;
use crate::error::Code;
use crate::secrets::{SecretBox, random_token, token_hash};
use crate::{Db, DbError, mail, tx_run};
pub use model::time::TimeZone;

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
    #[error("a two-factor secret: {0}")]
    Secret(#[from] crate::secrets::SecretError),
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
            | Self::Secret(_) => Code::Internal,
            Self::Db(error) => crate::error::ErrorCode::code(error),
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
            Self::Busy => Some(std::time::Duration::from_secs(2)),
            _ => None,
        }
    }
}

impl From<crate::secrets::NoRandomness> for AccountError {
    fn from(_: crate::secrets::NoRandomness) -> Self {
        Self::Randomness
    }
}

impl From<crate::caller::NotAdmin> for AccountError {
    fn from(_: crate::caller::NotAdmin) -> Self {
        Self::Forbidden
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
    pub time_zone: TimeZone,
    pub email_verified: bool,
    pub suspended: bool,
    pub two_factor_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub billing: model::accounts::BillingDetails,
    pub credit_balance: i64,
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
    time_zone: String,
    email_verified_at: Option<DateTime<Utc>>,
    suspended_at: Option<DateTime<Utc>>,
    totp_secret: Option<String>,
    totp_enabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    company_name: Option<String>,
    billing_address: Option<String>,
    npwp: Option<String>,
    credit_balance: i64,
}

const USER_COLUMNS: &str = "id, email, name, phone, password_hash, role, language, time_zone, email_verified_at, \
     suspended_at, totp_secret, totp_enabled_at, created_at, company_name, billing_address, npwp, \
     credit_balance";

impl UserRow {
    fn public(&self) -> User {
        User {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            phone: self.phone.clone(),
            role: Role::from_stored(&self.role),
            language: Language::from_code(&self.language).unwrap_or_default(),
            time_zone: TimeZone::from_iana(&self.time_zone).unwrap_or_default(),
            email_verified: self.email_verified_at.is_some(),
            suspended: self.suspended_at.is_some(),
            two_factor_enabled: self.totp_enabled_at.is_some(),
            created_at: self.created_at,
            billing: model::accounts::BillingDetails {
                company: self.company_name.clone(),
                address: self.billing_address.clone(),
                npwp: self.npwp.clone(),
            },
            credit_balance: self.credit_balance,
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
            time_zone: user.time_zone,
            email_verified: user.email_verified,
            suspended: user.suspended,
            two_factor_enabled: user.two_factor_enabled,
            created_at: user.created_at,
            billing: user.billing,
            credit_balance: user.credit_balance,
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
    pub time_zone: TimeZone,
}

/// The language `user_id` reads, for texts written once and kept (invoice lines); read in the
/// caller's transaction.
pub async fn language_in(tx: &mut Tx, user_id: i64) -> Result<Language, DbError> {
    let code: String = tx_run!(tx, |conn| {
        sqlx::query_scalar("SELECT language FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(conn)
            .await
    })?;
    Ok(Language::from_code(&code).unwrap_or_default())
}

/// The accounts service: the database, the token keys, the key TOTP secrets are sealed with,
/// and the public address for e-mail links.
#[derive(Clone, Debug)]
pub struct Accounts {
    db: Db,
    keys: JwtKeys,
    secrets: SecretBox,
    public_url: String,
}

impl Accounts {
    pub fn new(db: Db, keys: JwtKeys, secrets: SecretBox, public_url: &str) -> Self {
        Self {
            db,
            keys,
            secrets,
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
}
