//! A whole database to one file and back. SQLite is copied with `VACUUM INTO`, a consistent
//! copy taken while the server keeps running; PostgreSQL with `pg_dump --format=custom` and
//! `pg_restore`, which must be the server's major version or newer. Restoring replaces the
//! database entirely (a backup is the state to return to, not rows to merge), refuses one that
//! holds accounts unless forced, and then applies the migrations this binary has that the
//! backup predates.
//!
//! Scheduled backups are a recurring job, so with several nodes one of them takes each backup.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};

use sqlx::sqlite::SqliteConnectOptions;
use tokio::process::Command;

use crate::db::{Backend, Db, DbError, redacted_url};
use crate::db_run;
use crate::jobs::{JobOutcome, Registry};

/// The recurring job that takes scheduled backups.
pub const SCHEDULED_BACKUP_JOB: &str = "scheduled_backup";
/// How scheduled backups are named: this, the time taken, and the backend's extension. Only
/// files named so are ever removed as old.
const SCHEDULED_PREFIX: &str = "webrana-";

/// The first bytes of each kind of backup, so a file of the wrong kind is refused before the
/// database is touched.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";
const PG_DUMP_HEADER: &[u8] = b"PGDMP";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}: already exists; back up to a new file")]
    Exists(PathBuf),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: not a {1} backup")]
    NotABackup(PathBuf, Backend),
    #[error(
        "the database already holds {accounts} accounts; restoring replaces everything in it, so say --force if that is what you want"
    )]
    NotEmpty { accounts: i64 },
    #[error("{tool}: {message}")]
    Tool { tool: &'static str, message: String },
}

/// Where and how often backups are taken, and how many are kept.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub dir: PathBuf,
    pub every: chrono::Duration,
    pub keep: usize,
}

/// Takes a backup into the schedule's folder every `every`, keeping the newest `keep`.
pub fn register(registry: Registry, db: Db, url: String, schedule: Schedule) -> Registry {
    registry.on(SCHEDULED_BACKUP_JOB, move |_job| {
        let (db, url, schedule) = (db.clone(), url.clone(), schedule.clone());
        async move {
            let now = Utc::now();
            back_up_on_schedule(&db, &url, &schedule, now)
                .await
                .map_err(|error| error.to_string())?;
            Ok::<_, String>(JobOutcome::RunAgainAt(now + schedule.every))
        }
    })
}

/// One scheduled backup, taken at `now`; then the oldest beyond `keep` are removed. Answers
/// the new file.
pub async fn back_up_on_schedule(
    db: &Db,
    url: &str,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<PathBuf, BackupError> {
    let in_dir = |source| BackupError::File {
        path: schedule.dir.clone(),
        source,
    };
    tokio::fs::create_dir_all(&schedule.dir)
        .await
        .map_err(in_dir)?;
    let extension = match db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "pgdump",
    };
    // The time sorts as text, so the newest name is the last.
    let name = format!(
        "{SCHEDULED_PREFIX}{}.{extension}",
        now.format("%Y%m%dT%H%M%S%.3fZ")
    );
    let file = schedule.dir.join(name);
    back_up(db, url, &file).await?;
    let mut taken = Vec::new();
    let mut entries = tokio::fs::read_dir(&schedule.dir).await.map_err(in_dir)?;
    while let Some(entry) = entries.next_entry().await.map_err(in_dir)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(SCHEDULED_PREFIX) && name.ends_with(extension) {
            taken.push(entry.path());
        }
    }
    taken.sort();
    for old in &taken[..taken.len().saturating_sub(schedule.keep)] {
        remove_if_present(old)?;
    }
    Ok(file)
}

/// Writes a backup of `db` (reached at `url`) to `to`, which must not exist yet.
pub async fn back_up(db: &Db, url: &str, to: &Path) -> Result<(), BackupError> {
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    match db.backend() {
        Backend::Sqlite => {
            let target = to.to_string_lossy().into_owned();
            db_run!(db, |pool| {
                sqlx::query("VACUUM INTO $1")
                    .bind(target.clone())
                    .execute(pool)
                    .await
                    .map(|_| ())
            })
            .map_err(DbError::from)?;
            Ok(())
        }
        Backend::Postgres => {
            let mut pg_dump = postgres_tool("pg_dump", url)?;
            pg_dump
                .arg("--format=custom")
                .arg("--no-owner")
                .arg("--file")
                .arg(to);
            run("pg_dump", pg_dump).await
        }
    }
}

/// Replaces the database at `url` with the backup in `from`, then migrates it to this
/// binary's schema. Refuses a database that holds accounts unless `force`.
pub async fn restore(url: &str, from: &Path, force: bool) -> Result<Db, BackupError> {
    let backend = Backend::from_url(url)?;
    let header = match backend {
        Backend::Sqlite => SQLITE_HEADER,
        Backend::Postgres => PG_DUMP_HEADER,
    };
    let start = read_start(from, header.len())?;
    if start != header {
        return Err(BackupError::NotABackup(from.to_owned(), backend));
    }
    let db = Db::connect(url, 2).await?;
    let accounts = accounts(&db).await?;
    if accounts > 0 && !force {
        db.close().await;
        return Err(BackupError::NotEmpty { accounts });
    }
    match backend {
        Backend::Sqlite => {
            db.close().await;
            let options =
                SqliteConnectOptions::from_str(url).map_err(|source| DbError::InvalidUrl {
                    url: redacted_url(url),
                    source,
                })?;
            let path = options.get_filename();
            // The write-ahead log of the database being replaced must not be replayed onto the
            // restored file.
            for stale in ["-wal", "-shm"] {
                let mut name = path.as_os_str().to_owned();
                name.push(stale);
                remove_if_present(Path::new(&name))?;
            }
            tokio::fs::copy(from, path)
                .await
                .map_err(|source| BackupError::File {
                    path: path.to_owned(),
                    source,
                })?;
        }
        Backend::Postgres => {
            db_run!(&db, |pool| {
                sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                    .execute(pool)
                    .await
                    .map(|_| ())
            })
            .map_err(DbError::from)?;
            db.close().await;
            let mut pg_restore = postgres_tool("pg_restore", url)?;
            pg_restore
                .arg("--no-owner")
                .arg("--exit-on-error")
                .arg(from);
            run("pg_restore", pg_restore).await?;
        }
    }
    let db = Db::connect(url, 2).await?;
    db.migrate().await?;
    Ok(db)
}

/// How many accounts the database holds; none before its first migration.
async fn accounts(db: &Db) -> Result<i64, BackupError> {
    let has_users: i64 = db_run!(db, |pool| {
        sqlx::query_scalar(match db.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'users'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_name = 'users'"
            }
        })
        .fetch_one(pool)
        .await
    })
    .map_err(DbError::from)?;
    if has_users == 0 {
        return Ok(0);
    }
    Ok(db_run!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(pool)
            .await
    })
    .map_err(DbError::from)?)
}

fn read_start(path: &Path, len: usize) -> Result<Vec<u8>, BackupError> {
    use std::io::Read;
    let file_error = |source| BackupError::File {
        path: path.to_owned(),
        source,
    };
    let mut start = Vec::with_capacity(len);
    std::fs::File::open(path)
        .map_err(file_error)?
        .take(len as u64)
        .read_to_end(&mut start)
        .map_err(file_error)?;
    Ok(start)
}

fn remove_if_present(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(BackupError::File {
            path: path.to_owned(),
            source: error,
        }),
        _ => Ok(()),
    }
}

/// The connection parameters libpq understands: sqlx's own (`statement-cache-capacity`…) would
/// make the tool refuse the URL.
const LIBPQ_PARAMETERS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "options",
    "connect_timeout",
];

/// `tool` connecting to the database at `url`, the password in its environment rather than on
/// its command line (which anyone on the machine can read).
fn postgres_tool(tool: &'static str, url: &str) -> Result<Command, BackupError> {
    let invalid = |message: String| BackupError::Tool { tool, message };
    let mut parsed = url::Url::parse(url)
        .map_err(|error| invalid(format!("DATABASE_URL {}: {error}", redacted_url(url))))?;
    let password = parsed
        .password()
        .map(|password| {
            percent_encoding::percent_decode_str(password)
                .decode_utf8()
                .map(|password| password.into_owned())
                .map_err(|_| invalid("DATABASE_URL: the password is not valid UTF-8".into()))
        })
        .transpose()?;
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(name, _)| LIBPQ_PARAMETERS.contains(&name.as_ref()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    parsed.set_query(None);
    if !kept.is_empty() {
        parsed.query_pairs_mut().extend_pairs(kept);
    }
    // A URL with a user has a password slot; clearing it cannot fail.
    let _ = parsed.set_password(None);
    let mut command = Command::new(tool);
    command.arg("--dbname").arg(parsed.as_str());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    Ok(command)
}

/// Runs a PostgreSQL client tool; its own message is the error.
async fn run(tool: &'static str, mut command: Command) -> Result<(), BackupError> {
    let output = command.output().await.map_err(|error| BackupError::Tool {
        tool,
        message: format!("cannot run it ({error}); install PostgreSQL's client tools"),
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool {
            tool,
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}
