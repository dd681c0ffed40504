//! Getting back into an account: the password-reset link and the new password it sets.

use chrono::Duration;

use super::emails::AccountEmail;
use super::password::NewPassword;
use super::{AccountError, Accounts};
use crate::audit::{self, AuditEvent};
use crate::caller::ClientInfo;
use crate::mail;

const RESET_PASSWORD_LIFETIME: Duration = Duration::hours(1);

impl Accounts {
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
}
