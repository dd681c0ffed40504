//! Admin server functions: users (suspend, role), the dev e-mail outbox, the audit log.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::Me;
#[cfg(feature = "ssr")]
use crate::auth::server::{caller, client, fail, state};
use crate::errors::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub me: Me,
    pub suspended: bool,
    pub created: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub created: String,
    pub delivered: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub action: String,
    pub email: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: String,
    pub run_at: String,
    pub last_error: Option<String>,
}

#[cfg(feature = "ssr")]
fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(feature = "ssr")]
fn admin() -> Result<domain::accounts::Caller, AppError> {
    let caller = caller()?;
    caller.require_admin().map_err(fail)?;
    Ok(caller)
}

#[cfg(feature = "ssr")]
fn row(user: domain::accounts::User) -> UserRow {
    UserRow {
        suspended: user.suspended,
        created: time(user.created_at),
        me: user.into(),
    }
}

#[server]
pub async fn admin_users(search: String) -> Result<Vec<UserRow>, AppError> {
    let users = state()?
        .accounts
        .list_users(&admin()?, Some(&search), 100, 0)
        .await
        .map_err(fail)?;
    Ok(users.into_iter().map(row).collect())
}

#[server]
pub async fn admin_set_suspended(user_id: i64, suspended: bool) -> Result<UserRow, AppError> {
    let user = state()?
        .accounts
        .set_suspended(&admin()?, user_id, suspended, &client())
        .await
        .map_err(fail)?;
    Ok(row(user))
}

#[server]
pub async fn admin_set_admin(user_id: i64, admin_role: bool) -> Result<UserRow, AppError> {
    use domain::accounts::Role;
    let role = if admin_role {
        Role::Admin
    } else {
        Role::Customer
    };
    let user = state()?
        .accounts
        .set_role(&admin()?, user_id, role, &client())
        .await
        .map_err(fail)?;
    Ok(row(user))
}

/// Every e-mail the platform wrote, newest first (the dev outbox when no SMTP is set up).
#[server]
pub async fn admin_outbox(to: String) -> Result<Vec<OutboxEmail>, AppError> {
    admin()?;
    let to = to.trim().to_lowercase();
    let emails = domain::mail::list(
        &state()?.db,
        (!to.is_empty()).then_some(to.as_str()),
        100,
        0,
    )
    .await
    .map_err(fail)?;
    Ok(emails
        .into_iter()
        .map(|email| OutboxEmail {
            id: email.id,
            to: email.to_address,
            subject: email.subject,
            body_text: email.body_text,
            created: time(email.created_at),
            delivered: email.sent_at.is_some(),
        })
        .collect())
}

#[server]
pub async fn admin_audit(action: String, email: String) -> Result<Vec<AuditRow>, AppError> {
    admin()?;
    let filter = domain::audit::AuditFilter {
        action: Some(action.trim().to_owned()).filter(|a| !a.is_empty()),
        email: Some(email.trim().to_lowercase()).filter(|e| !e.is_empty()),
        limit: 200,
        offset: 0,
    };
    let entries = domain::audit::list(&state()?.db, &filter)
        .await
        .map_err(fail)?;
    Ok(entries
        .into_iter()
        .map(|entry| AuditRow {
            at: time(entry.at),
            action: entry.action,
            email: entry.subject_email,
            ip: entry.ip,
            detail: entry.detail,
        })
        .collect())
}

/// Background jobs, newest first, by state and kind.
#[server]
pub async fn admin_jobs(state_filter: String, kind: String) -> Result<Vec<JobRow>, AppError> {
    admin()?;
    let state_filter = Some(state_filter.trim().to_owned()).filter(|s| !s.is_empty());
    let kind = Some(kind.trim().to_owned()).filter(|k| !k.is_empty());
    let jobs = domain::jobs::list(&state()?.db, state_filter.as_deref(), kind.as_deref(), 200)
        .await
        .map_err(fail)?;
    Ok(jobs
        .into_iter()
        .map(|job| JobRow {
            id: job.id,
            attempts: format!("{}/{}", job.attempts, job.max_attempts),
            run_at: time(job.run_at),
            kind: job.kind,
            state: job.state.to_string(),
            last_error: job.last_error,
        })
        .collect())
}

/// Puts a dead job back in the queue.
#[server]
pub async fn admin_retry_job(id: i64) -> Result<bool, AppError> {
    admin()?;
    domain::jobs::retry(&state()?.db, id).await.map_err(fail)
}
