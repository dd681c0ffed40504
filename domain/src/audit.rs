//! The security audit log: who did what to which account, from where.

use chrono::{DateTime, Utc};

use crate::db::Tx;
use crate::{Db, DbError, db_run, tx_run};

/// One event to record; written in the same transaction as the change it describes.
#[derive(Debug, Default, Clone)]
pub struct AuditEvent<'a> {
    pub action: &'a str,
    pub actor_user_id: Option<i64>,
    pub subject_user_id: Option<i64>,
    pub subject_email: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub actor_user_id: Option<i64>,
    pub subject_user_id: Option<i64>,
    pub subject_email: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// The entry as the admin's audit page shows it.
impl From<AuditEntry> for model::admin::AuditEntry {
    fn from(entry: AuditEntry) -> Self {
        Self {
            at: entry.at,
            action: entry.action,
            actor_user_id: entry.actor_user_id.map(model::UserId),
            subject_user_id: entry.subject_user_id.map(model::UserId),
            subject_email: entry.subject_email,
            ip: entry.ip,
            detail: entry.detail,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub email: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn record(tx: &mut Tx, event: AuditEvent<'_>) -> Result<(), DbError> {
    let now = Utc::now();
    tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO audit_log (at, action, actor_user_id, subject_user_id, subject_email, ip, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(now)
        .bind(event.action)
        .bind(event.actor_user_id)
        .bind(event.subject_user_id)
        .bind(event.subject_email)
        .bind(event.ip)
        .bind(&event.detail)
        .execute(conn)
        .await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Newest first, optionally narrowed to one action and/or one account's e-mail.
pub async fn list(db: &Db, filter: &AuditFilter) -> Result<Vec<AuditEntry>, DbError> {
    Ok(db_run!(db, |pool| {
        sqlx::query_as::<_, AuditEntry>(
            "SELECT a.id, a.at, a.action, a.actor_user_id, a.subject_user_id, \
             COALESCE(a.subject_email, u.email) AS subject_email, a.ip, a.detail \
             FROM audit_log a LEFT JOIN users u ON u.id = a.subject_user_id \
             WHERE (CAST($1 AS TEXT) IS NULL OR a.action = $1) \
               AND (CAST($2 AS TEXT) IS NULL OR a.subject_email = $2 OR u.email = $2) \
             ORDER BY a.id DESC LIMIT $3 OFFSET $4",
        )
        .bind(filter.action.as_deref())
        .bind(filter.email.as_deref())
        .bind(filter.limit)
        .bind(filter.offset)
        .fetch_all(pool)
        .await
    })?)
}
