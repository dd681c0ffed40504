//! Test harness: a fresh, migrated database per test, on SQLite and on PostgreSQL.
//!
//! [`both_backends!`](crate::both_backends) turns one async test body into two tests, `sqlite`
//! and `postgres`, in a module named after the test. PostgreSQL tests create a uniquely named
//! database on the server at `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and drop it afterwards. When that server cannot be
//! reached they fail, saying how to start it: a database half that silently passed would hide
//! exactly the bugs it exists to catch.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

use crate::catalog::PlanInput;
use crate::jobs::{self, Registry};
use crate::{Db, db_run};

pub const DEFAULT_TEST_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

const START_POSTGRES_HINT: &str = "start it with `pg_ctlcluster --skip-systemctl-redirect \
     $(ls /etc/postgresql) main start` (scripts/test does this), or point TEST_POSTGRES_URL at \
     a server where this user may create databases";

/// A migrated database that lives as long as this value.
pub struct TestDb {
    pub db: Db,
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        server: Box<PgConnectOptions>,
        name: String,
    },
}

impl TestDb {
    /// A SQLite database in a temporary folder, removed on drop.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot make a temp dir: {e}"));
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Self::open(url, Cleanup::Sqlite { _dir: dir }).await
    }

    /// A fresh database on the test PostgreSQL server, dropped on drop.
    pub async fn postgres() -> Self {
        let server_url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_POSTGRES_URL.to_owned());
        let server = PgConnectOptions::from_str(&server_url)
            .unwrap_or_else(|e| panic!("TEST_POSTGRES_URL `{server_url}` is not valid: {e}"));
        let name = format!("webrana_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = server.connect().await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {server_url} cannot be reached ({e}); {START_POSTGRES_HINT}")
        });
        // The name is ours (a prefix and hex digits), so formatting it into the SQL is safe.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        close(admin).await;
        let url = server.clone().database(&name).to_url_lossy().to_string();
        Self::open(
            url,
            Cleanup::Postgres {
                server: Box::new(server),
                name,
            },
        )
        .await
    }

    async fn open(url: String, cleanup: Cleanup) -> Self {
        let db = Db::connect(&url, 5)
            .await
            .unwrap_or_else(|e| panic!("cannot open test database {url}: {e}"));
        db.migrate()
            .await
            .unwrap_or_else(|e| panic!("cannot migrate test database {url}: {e}"));
        Self { db, url, cleanup }
    }

    /// The URL this database answers on, for starting a server against it.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// A visible plan on the sandbox cloud's smallest size (`sbx-1c-1g`, 1 vCPU and 1 GB) at
/// Rp 75.000 a month, no discounts, offered in `regions` with `images`. Tests change the fields
/// they care about with struct update syntax.
pub fn sandbox_plan_input(name: &str, regions: &[&str], images: &[&str]) -> PlanInput {
    PlanInput {
        name: name.into(),
        provider: "sandbox".into(),
        size_slug: "sbx-1c-1g".into(),
        vcpus: None,
        memory_mb: None,
        disk_gb: None,
        transfer_gb: None,
        price_idr_monthly: 75_000,
        discount_3m_percent: 0,
        discount_6m_percent: 0,
        discount_12m_percent: 0,
        region_slugs: regions.iter().map(|r| (*r).to_owned()).collect(),
        image_slugs: images.iter().map(|i| (*i).to_owned()).collect(),
        visible: true,
        sort_order: 0,
    }
}

/// Runs every job until none is due within a minute, treating "run again soon" (a job polling
/// its provider) as "now"; answers how many ran. Jobs waiting for a date further off (an
/// invoice's expiry, the hourly sweeps) stay queued. Panics when the jobs keep asking to run
/// again, as a test should.
pub async fn drain(db: &Db, registry: &Registry) -> usize {
    let mut ran = 0;
    for _ in 0..100 {
        if jobs::run_once(db, registry, "test-worker", chrono::Duration::minutes(5))
            .await
            .unwrap_or_else(|e| panic!("the job queue failed: {e}"))
            .is_some()
        {
            ran += 1;
            continue;
        }
        let waiting = db_run!(db, |pool| {
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE state = 'queued' AND run_at <= $2")
                .bind(chrono::Utc::now())
                .bind(chrono::Utc::now() + chrono::Duration::minutes(1))
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .unwrap_or_else(|e| panic!("the job queue failed: {e}"));
        if waiting == 0 {
            return ran;
        }
    }
    panic!("jobs did not settle");
}

async fn close(connection: PgConnection) {
    if let Err(error) = connection.close().await {
        tracing::warn!(%error, "closing a test admin connection failed");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Cleanup::Postgres { server, name } = &self.cleanup else {
            return;
        };
        // Drop cannot await, and the test's runtime may be shutting down: use a short-lived
        // runtime on a thread of its own. FORCE ends the pool's connections still open.
        let (server, name) = ((**server).clone(), name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = server.connect().await?;
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                close(admin).await;
                Ok::<_, sqlx::Error>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: test database {} was not dropped", self.url);
        }
    }
}

/// Runs one async test body against both backends:
///
/// ```text
/// both_backends! {
///     async fn settings_round_trip(test: TestDb) {
///         let db = &test.db;
///         /* … */
///     }
/// }
/// ```
/// expands to the tests `settings_round_trip::sqlite` and `settings_round_trip::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($test:ident : TestDb) $body:block)+) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($test: $crate::testing::TestDb) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body($crate::testing::TestDb::sqlite().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                body($crate::testing::TestDb::postgres().await).await
            }
        }
    )+};
}

/// The text of a PDF as poppler's `pdftotext` reads it (in layout order), for tests that check
/// what a document says rather than how its bytes look. `scripts/setup` installs poppler-utils.
pub fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut reader = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "pdftotext could not start ({error}); install poppler-utils (scripts/setup does)"
            )
        });
    if let Some(mut input) = reader.stdin.take() {
        input
            .write_all(pdf)
            .unwrap_or_else(|e| panic!("the PDF did not reach pdftotext: {e}"));
    }
    let output = reader
        .wait_with_output()
        .unwrap_or_else(|e| panic!("pdftotext did not finish: {e}"));
    assert!(
        output.status.success(),
        "pdftotext refused the PDF: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
