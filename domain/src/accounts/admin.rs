//! What admins do to accounts: find, list, suspend, promote, and create other admins.

use chrono::Utc;

use super::inputs::{Email, PersonName};
use super::password::{self, NewPassword};
use super::{AccountError, Accounts, Role, USER_COLUMNS, User, UserRow};
use crate::audit::{self, AuditEvent};
use crate::caller::{Caller, ClientInfo};
use crate::{db_run, tx_run};

impl Accounts {
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

    /// Accounts for the admin list, newest first; `search` matches e-mail or name.
    pub async fn list_users(
        &self,
        caller: &Caller,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<User>, AccountError> {
        caller.require_admin()?;
        let pattern = crate::db::contains_pattern(search);
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE (CAST($1 AS TEXT) IS NULL OR email LIKE $1 ESCAPE '\\' OR LOWER(name) LIKE $1 ESCAPE '\\') \
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
