//! `server backup` and `server restore` as an operator runs them, on both databases: a database
//! with customers, an order and a server is backed up while in use, wiped, and restored from the
//! file; every table then holds exactly the rows it held, and the customer logs in and sees
//! their server. Restoring over a database that holds accounts is refused unless forced.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use axum::http::StatusCode;
use domain::jobs::Registry;
use domain::testing::TestDb;
use domain::{Db, DomainConfig, both_backends, db_run, instances};
use serde_json::json;
use sqlx::AssertSqlSafe;
use support::{ADMIN, PASSWORD};

const CUSTOMER: &str = "budi@webrana.test";

/// Runs `server` with `args` on the database at `url`.
fn server(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env_clear()
        // pg_dump and pg_restore are found on the operator's PATH.
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("LEPTOS_OUTPUT_NAME", "webrana")
        .env("DATABASE_URL", url)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every table's rows, each as text, in a stable order.
async fn every_row(db: &Db) -> BTreeMap<String, Vec<String>> {
    let tables: Vec<String> = db_run!(db, |pool| {
        sqlx::query_scalar(match db.backend() {
            domain::db::Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
            domain::db::Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            }
        })
        .fetch_all(pool)
        .await
    })
    .unwrap();
    let mut rows = BTreeMap::new();
    for table in tables {
        // Table and column names come from the database's own catalogue.
        let select = match db.backend() {
            domain::db::Backend::Sqlite => {
                let columns: Vec<String> = db_run!(db, |pool| {
                    sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                        .bind(&table)
                        .fetch_all(pool)
                        .await
                })
                .unwrap();
                let row = columns
                    .iter()
                    .map(|column| format!("quote(\"{column}\")"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                format!("SELECT {row} FROM \"{table}\"")
            }
            domain::db::Backend::Postgres => format!("SELECT t::text FROM \"{table}\" t"),
        };
        let mut texts: Vec<String> = db_run!(db, |pool| {
            sqlx::query_scalar(AssertSqlSafe(select.clone()))
                .fetch_all(pool)
                .await
        })
        .unwrap();
        texts.sort();
        rows.insert(table, texts);
    }
    rows
}

/// A customer with a placed order and a running server, made through the router.
async fn a_business(test: &TestDb) {
    let plan = support::binary::seed_customer_and_plan(test, CUSTOMER).await;
    let config = DomainConfig {
        providers: support::instant_sandbox(&test.db),
        ..support::config()
    };
    let env = support::start(test, &config).await;
    let bearer = env.access_token(CUSTOMER).await;
    let order = json!({ "plan_id": plan, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "web-1", "period_months": 1 });
    let placed = support::post_json(&env.router, "/api/v1/orders", order, Some(&bearer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let customer_id = placed.json()["order"]["user_id"].clone();
    let admin = support::access_token(&env.router, ADMIN.0, ADMIN.1).await;
    let server = json!({ "user_id": customer_id, "plan_id": plan, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "db-1" });
    let server =
        support::post_json(&env.router, "/api/v1/admin/instances", server, Some(&admin)).await;
    assert_eq!(server.status, StatusCode::ACCEPTED, "{}", server.body);
    let registry = instances::worker::register(Registry::default(), env.state.instances.clone());
    domain::testing::drain(&test.db, &registry).await;
}

/// Empties the database as a lost disk or a dropped schema would.
async fn wipe(test: &TestDb) {
    match test.db.backend() {
        domain::db::Backend::Sqlite => {
            test.db.close().await;
            let path = test.url().trim_start_matches("sqlite://");
            for file in [
                path.to_owned(),
                format!("{path}-wal"),
                format!("{path}-shm"),
            ] {
                let _ = std::fs::remove_file(file);
            }
            assert!(!Path::new(path).exists());
        }
        domain::db::Backend::Postgres => {
            db_run!(&test.db, |pool| {
                sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                    .execute(pool)
                    .await
                    .map(|_| ())
            })
            .unwrap();
            test.db.close().await;
        }
    }
}

both_backends! {
    async fn a_backup_restores_every_row_and_the_customer_finds_their_server(test: TestDb) {
        a_business(&test).await;
        let before = every_row(&test.db).await;
        assert!(before["instances"].len() == 1 && before["orders"].len() == 1, "{before:?}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("webrana.backup");
        let file_arg = file.to_str().unwrap();

        // Taken while the database is open and in use by this test's pool.
        let backed_up = server(test.url(), &["backup", "--to", file_arg]);
        assert!(backed_up.status.success(), "{}", stderr(&backed_up));
        let again = server(test.url(), &["backup", "--to", file_arg]);
        assert_eq!(again.status.code(), Some(2));
        assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));

        let refused = server(test.url(), &["restore", "--from", file_arg]);
        assert_eq!(refused.status.code(), Some(2));
        assert!(stderr(&refused).contains("already holds 2 accounts"), "{}", stderr(&refused));
        let not_a_backup = server(test.url(), &["restore", "--force", "--from", "Cargo.toml"]);
        assert_eq!(not_a_backup.status.code(), Some(2));
        assert!(stderr(&not_a_backup).contains("not a"), "{}", stderr(&not_a_backup));

        wipe(&test).await;
        let restored = server(test.url(), &["restore", "--from", file_arg]);
        assert!(restored.status.success(), "{}", stderr(&restored));
        let db = Db::connect(test.url(), 5).await.unwrap();
        assert_eq!(every_row(&db).await, before);

        // Over a database that holds data, when forced (its servers stopped): the same rows.
        db.close().await;
        let forced = server(test.url(), &["restore", "--force", "--from", file_arg]);
        assert!(forced.status.success(), "{}", stderr(&forced));
        let db = Db::connect(test.url(), 5).await.unwrap();
        assert_eq!(every_row(&db).await, before);

        let env = support::start_on(db, &support::config()).await;
        let bearer = support::access_token(&env.router, CUSTOMER, PASSWORD).await;
        let servers = support::get(&env.router, "/api/v1/instances", Some(&bearer)).await.json();
        let hostnames: Vec<&str> = servers.as_array().unwrap().iter().map(|server| server["hostname"].as_str().unwrap()).collect();
        assert_eq!(hostnames, ["db-1"]);
    }
}
