//! Admin server functions: the setup checklist, users (suspend, role), the dev e-mail outbox,
//! the audit log, jobs, the health summary.

use leptos::prelude::*;
use model::accounts::User;
use model::admin::{AuditEntry, Job, OutboxEmail, SetupState};
use model::health::HealthSummary;
use model::{JobId, UserId};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, client, fail, state};
use crate::errors::AppError;

#[cfg(feature = "ssr")]
fn admin() -> Result<domain::caller::Caller, AppError> {
    let caller = caller()?;
    caller.require_admin().map_err(fail)?;
    Ok(caller)
}

/// What the shop still needs before it takes real orders, step by step.
#[server]
pub async fn admin_setup_checklist() -> Result<Vec<SetupState>, AppError> {
    domain::setup::checklist(&state()?, &admin()?)
        .await
        .map_err(fail)
}

#[server]
pub async fn admin_users(search: String) -> Result<Vec<User>, AppError> {
    let users = state()?
        .accounts
        .list_users(&admin()?, Some(&search), 100, 0)
        .await
        .map_err(fail)?;
    Ok(users.into_iter().map(Into::into).collect())
}

#[server]
pub async fn admin_set_suspended(user_id: UserId, suspended: bool) -> Result<User, AppError> {
    let user = state()?
        .accounts
        .set_suspended(&admin()?, user_id.get(), suspended, &client())
        .await
        .map_err(fail)?;
    Ok(user.into())
}

/// Adds (positive) or takes (negative) rupiah of a customer's credit, with why; the new balance.
#[server]
pub async fn admin_adjust_credit(
    user_id: UserId,
    amount: i64,
    note: String,
) -> Result<i64, AppError> {
    state()?
        .billing
        .adjust_credit(&admin()?, user_id.get(), amount, &note)
        .await
        .map_err(fail)
}

#[server]
pub async fn admin_set_admin(user_id: UserId, admin_role: bool) -> Result<User, AppError> {
    use model::accounts::Role;
    let role = if admin_role {
        Role::Admin
    } else {
        Role::Customer
    };
    let user = state()?
        .accounts
        .set_role(&admin()?, user_id.get(), role, &client())
        .await
        .map_err(fail)?;
    Ok(user.into())
}

/// Every e-mail the platform wrote, newest first (the dev outbox when no SMTP is set up).
#[server]
pub async fn admin_outbox(to: String) -> Result<Vec<OutboxEmail>, AppError> {
    admin()?;
    let to = to.trim().to_lowercase();
    let state = state()?;
    let emails = domain::mail::list(&state.db, (!to.is_empty()).then_some(to.as_str()), 100, 0)
        .await
        .map_err(fail)?;
    Ok(emails
        .into_iter()
        .map(|email| email.for_admin(state.smtp_delivery))
        .collect())
}

#[server]
pub async fn admin_audit(action: String, email: String) -> Result<Vec<AuditEntry>, AppError> {
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
    Ok(entries.into_iter().map(Into::into).collect())
}

/// Background jobs, newest first, by state and kind.
#[server]
pub async fn admin_jobs(state_filter: String, kind: String) -> Result<Vec<Job>, AppError> {
    admin()?;
    let state_filter = Some(state_filter.trim().to_owned()).filter(|s| !s.is_empty());
    let kind = Some(kind.trim().to_owned()).filter(|k| !k.is_empty());
    let jobs = domain::jobs::list(&state()?.db, state_filter.as_deref(), kind.as_deref(), 200)
        .await
        .map_err(fail)?;
    Ok(jobs.into_iter().map(Into::into).collect())
}

/// Puts a dead job back in the queue.
#[server]
pub async fn admin_retry_job(id: JobId) -> Result<bool, AppError> {
    admin()?;
    domain::jobs::retry(&state()?.db, id.get())
        .await
        .map_err(fail)
}

/// How every part of the platform is doing now.
#[server]
pub async fn admin_health() -> Result<HealthSummary, AppError> {
    state()?.health.summary(&admin()?).await.map_err(fail)
}
