//! Sign-up and the verified e-mail address it needs.

use chrono::{Duration, Utc};

use super::emails::AccountEmail;
use super::inputs::{Email, PersonName, Phone};
use super::password::{self, NewPassword};
use super::{AccountError, Accounts, SignUp, User};
use crate::audit::{self, AuditEvent};
use crate::caller::{Caller, ClientInfo};
use crate::{mail, tx_run};

const VERIFY_EMAIL_LIFETIME: Duration = Duration::hours(24);

impl Accounts {
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
}
