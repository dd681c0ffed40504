//! Installation-wide values the application creates for itself on first start.

use chrono::{DateTime, Utc};

use crate::{Db, DbError, db_run};

const INSTALLATION_ID: &str = "installation_id";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub created_at: DateTime<Utc>,
}

/// Stores `value` under `key` unless the key already has one, and returns the stored setting.
/// Several nodes racing on a fresh database all get the first value written.
pub async fn get_or_insert(db: &Db, key: &str, value: &str) -> Result<Setting, DbError> {
    let now = Utc::now();
    let setting = db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO app_settings (key, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .bind(now)
        .execute(pool)
        .await?;
        sqlx::query_as::<_, Setting>(
            "SELECT key, value, created_at FROM app_settings WHERE key = $1",
        )
        .bind(key)
        .fetch_one(pool)
        .await
    })?;
    Ok(setting)
}

/// A random id made the first time the database is used. Every node of one installation reports
/// the same id (in logs and `/readyz`), which shows they share one database.
pub async fn installation_id(db: &Db) -> Result<String, DbError> {
    let candidate = uuid::Uuid::new_v4().simple().to_string();
    Ok(get_or_insert(db, INSTALLATION_ID, &candidate).await?.value)
}

/// The signing secret used when none is configured: made on first start and shared by every
/// node through the database, so tokens from one node verify on another.
pub async fn generated_jwt_secret(db: &Db) -> Result<Vec<u8>, DbError> {
    let candidate = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    Ok(get_or_insert(db, "jwt_secret", &candidate)
        .await?
        .value
        .into_bytes())
}
