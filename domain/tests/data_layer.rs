//! The data layer on both backends: migrations, readiness, one query text for both engines.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use domain::db::Pool;
use domain::testing::TestDb;
use domain::{AppState, both_backends, health, settings};

both_backends! {
    async fn migrations_leave_nothing_pending(test: TestDb) {
        assert_eq!(test.db.pending_migrations().await.unwrap(), Vec::<i64>::new());
        let readiness = health::readiness(&test.db).await;
        assert!(readiness.is_ready(), "{readiness:?}");
        // Running them again is a no-op, as on every start.
        test.db.migrate().await.unwrap();
        assert!(health::readiness(&test.db).await.is_ready());
    }

    async fn the_release_before_starts_on_a_database_a_newer_one_migrated(test: TestDb) {
        // What a newer release leaves behind: a migration this binary does not ship.
        domain::db_run!(&test.db, |pool| {
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES ($1, 'from a newer release', $2, $3, 0)",
            )
            .bind(99_991_231_000_000_i64)
            .bind(true)
            .bind(vec![0_u8; 48])
            .execute(pool)
            .await
            .map(|_| ())
        })
        .unwrap();
        test.db.migrate().await.unwrap();
        assert!(health::readiness(&test.db).await.is_ready());
    }

    async fn first_value_written_wins(test: TestDb) {
        let first = settings::get_or_insert(&test.db, "greeting", "selamat").await.unwrap();
        let second = settings::get_or_insert(&test.db, "greeting", "hello").await.unwrap();
        assert_eq!(first.value, "selamat");
        assert_eq!(second, first);
        let age = Utc::now() - first.created_at;
        assert!(age >= Duration::zero() && age < Duration::seconds(60), "stored {}", first.created_at);
    }

    async fn racing_nodes_agree_on_one_installation_id(test: TestDb) {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let db = test.db.clone();
                tokio::spawn(async move { AppState::new(db, &domain::DomainConfig::default()).await.map(|s| s.installation_id) })
            })
            .collect();
        let mut ids = BTreeSet::new();
        for task in tasks {
            ids.insert(task.await.unwrap().unwrap());
        }
        assert_eq!(ids.len(), 1, "{ids:?}");
        let id = ids.pop_first().unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(settings::installation_id(&test.db).await.unwrap(), id);
    }

    async fn readiness_reports_a_closed_database(test: TestDb) {
        test.db.close().await;
        let readiness = health::readiness(&test.db).await;
        assert!(!readiness.database_reachable);
        assert!(!readiness.is_ready());
    }
}

/// Table, column and nullability of every application table (sqlx's own bookkeeping table aside), in one comparable shape.
async fn schema_of(test: &TestDb) -> BTreeSet<(String, String, bool)> {
    let rows: Vec<(String, String, bool)> = match test.db.pool() {
        Pool::Sqlite(pool) => sqlx::query_as(
            "SELECT m.name, p.name, p.\"notnull\" = 0 \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '_sqlx_migrations'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Pool::Postgres(pool) => sqlx::query_as(
            "SELECT table_name::TEXT, column_name::TEXT, is_nullable = 'YES' \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    rows.into_iter().collect()
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_are_equivalent() {
    let (sqlite, postgres) = (TestDb::sqlite().await, TestDb::postgres().await);
    let (sqlite_schema, postgres_schema) = (schema_of(&sqlite).await, schema_of(&postgres).await);
    assert!(
        sqlite_schema
            .iter()
            .any(|(table, _, _)| table == "app_settings")
    );
    assert_eq!(sqlite_schema, postgres_schema);
}
