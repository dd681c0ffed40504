//! What a signed-in person changes about themselves: name, phone, language, time zone and
//! password.

use chrono::Utc;

use super::inputs::{PersonName, Phone};
use super::password::{self, NewPassword};
use super::{AccountError, Accounts, ProfileUpdate, User, UserRow};
use crate::audit::{self};
use crate::caller::{Caller, ClientInfo};
use crate::db::Tx;
use crate::notifications::{Notice, notify};
use crate::tx_run;

impl Accounts {
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
        if !self
            .current_password_holds(&mut tx, &user, current, client)
            .await?
        {
            tx.commit().await?;
            return Err(AccountError::WrongCurrentPassword);
        }
        let password = NewPassword::parse(new_password, &user.email)?;
        self.set_password(&mut tx, &user, password, Some(caller.session_id))
            .await?;
        audit::record(&mut tx, self.self_event("password_changed", caller, client)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn set_password(
        &self,
        tx: &mut Tx,
        user: &UserRow,
        password: NewPassword,
        keep_session: Option<i64>,
    ) -> Result<(), AccountError> {
        let hash = password::hash(password.as_str()).await?;
        let now = Utc::now();
        tx_run!(tx, |conn| {
            sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, updated_at = $2 WHERE id = $3")
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
            sqlx::query("UPDATE users SET name = $1, phone = $2, language = $3, time_zone = $4, updated_at = $5 WHERE id = $6")
                .bind(name.as_str())
                .bind(phone.as_ref().map(Phone::as_str))
                .bind(update.language.code())
                .bind(update.time_zone.iana())
                .bind(Utc::now())
                .bind(caller.user_id)
                .execute(conn)
                .await.map(|done| done.rows_affected())
        })?;
        let user = self.user_by_id(&mut tx, caller.user_id).await?.public();
        tx.commit().await?;
        Ok(user)
    }
}
