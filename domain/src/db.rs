//! One database handle for SQLite (the embedded default) and PostgreSQL (scale-out).
//!
//! Queries are written once with `$1, $2 …` placeholders and run on whichever backend is
//! configured through [`db_run!`](crate::db_run): the macro expands the same sqlx code once per
//! pool type, so each arm is type-checked against its own driver. Where the SQL dialects really
//! differ, match on [`Db::pool`] and mark the branch with a comment saying why.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

// A database migrated by a newer release still starts the release before it (a rollback, or an
// old pod restarted during a rolling update): every migration must work with the release before
// it, so migrations this binary does not know are not its concern.
static SQLITE_MIGRATIONS: Migrator = Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("../migrations/sqlite")
};
static POSTGRES_MIGRATIONS: Migrator = Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("../migrations/postgres")
};

/// How long a request waits for a pooled connection (or SQLite for a write lock) before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "expected a sqlite: path (for example sqlite://data/webrana.db) or a postgres:// URL, got `{0}`"
    )]
    UnsupportedUrl(String),
    #[error("{url} is not a valid database URL: {source}")]
    InvalidUrl { url: String, source: sqlx::Error },
    #[error("cannot create the folder {path} for the SQLite database: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the {backend} database: {source}")]
    Connect {
        backend: Backend,
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

impl DbError {
    /// Whether the query failed on text the database cannot store: PostgreSQL refuses a NUL
    /// character in text (`character_not_in_repertoire`), where SQLite stores it. Requests
    /// carry such text, so it is refused as unreadable input rather than failing as ours.
    pub fn is_unstorable_text(&self) -> bool {
        const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
        matches!(
            self,
            Self::Query(sqlx::Error::Database(error))
                if error.code().as_deref() == Some(CHARACTER_NOT_IN_REPERTOIRE)
        )
    }
}

/// Which SQL engine a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from a `DATABASE_URL`, or says what was expected.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::UnsupportedUrl(redacted_url(url)))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The pattern for `LIKE $n ESCAPE '\'` that finds text holding `search`, lowercased, with
/// its own `%`, `_` and `\` taken as they are; `None` for a blank search. The same on SQLite
/// and PostgreSQL.
pub fn contains_pattern(search: Option<&str>) -> Option<String> {
    let search = search.map(str::trim).filter(|search| !search.is_empty())?;
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Some(pattern)
}

/// `url` with its password (in the user part or a `password=` parameter) replaced by `***`, for
/// error messages and logs: a mistyped `DATABASE_URL` still holds the real password.
pub fn redacted_url(url: &str) -> String {
    let (scheme, rest) = url
        .find("://")
        .map_or(("", url), |end| url.split_at(end + 3));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = tail
        .split('&')
        .map(|part| match part.split_once("password=") {
            Some((before, _)) => format!("{before}password=***"),
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{scheme}{authority}{tail}")
}

/// The connection pool of the configured backend. Use it through [`db_run!`](crate::db_run).
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Runs the same sqlx code against whichever pool `db` holds.
///
/// ```text
/// let count: i64 = db_run!(db, |pool| {
///     sqlx::query_scalar("SELECT COUNT(*) FROM app_settings").fetch_one(pool).await
/// })?;
/// ```
#[macro_export]
macro_rules! db_run {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db.pool() {
            $crate::db::Pool::Sqlite($pool) => $body,
            $crate::db::Pool::Postgres($pool) => $body,
        }
    };
}

/// A transaction on either backend. Use it through [`tx_run!`](crate::tx_run) so helpers that
/// take `&mut Tx` can join the caller's transaction. What it [`announce`](Self::announce)s is
/// told to the database's [`CommitFeed`] once it has committed, never before.
pub struct Tx {
    pub conn: TxConn,
    feed: CommitFeed,
    announced: Vec<Committed>,
    jobs_queued: bool,
}

pub enum TxConn {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Something a transaction made that listeners (the live notification sockets) want to hear of
/// the moment it is visible to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Committed {
    Notification {
        user_id: i64,
        id: i64,
    },
    /// A user's notifications were read; their unread count changed.
    NotificationsRead {
        user_id: i64,
    },
}

/// Hears what committed transactions announce, in this process. A process that shares its
/// database with others also forwards it to them (and theirs to it) through a relay, Redis
/// pub/sub, set with [`CommitFeed::relay_through`].
#[derive(Clone, Debug)]
pub struct CommitFeed {
    local: tokio::sync::broadcast::Sender<Committed>,
    relay: Arc<std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Committed>>>,
    jobs_queued: Arc<tokio::sync::Notify>,
}

impl Default for CommitFeed {
    fn default() -> Self {
        // A listener further behind than this misses items and catches up from the database.
        let (local, _) = tokio::sync::broadcast::channel(4096);
        Self {
            local,
            relay: Arc::default(),
            jobs_queued: Arc::default(),
        }
    }
}

impl CommitFeed {
    /// Woken when a transaction that queued (or woke) a job commits, so this process's job
    /// workers start it at once instead of at their next look at the queue.
    pub fn jobs_queued(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.jobs_queued)
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Committed> {
        self.local.subscribe()
    }

    /// Tells this process's listeners, and other processes through the relay if there is one
    /// (which then tells this process back: with a relay, only it feeds the listeners).
    pub fn publish(&self, committed: Committed) {
        match self.relay.get() {
            Some(relay) if relay.send(committed).is_ok() => {}
            _ => self.deliver(committed),
        }
    }

    /// Hands `committed` to this process's listeners (what a relay calls with what it heard).
    pub fn deliver(&self, committed: Committed) {
        // No listener is not an error: nobody has the page open.
        let _ = self.local.send(committed);
    }

    /// From now on everything published goes through `relay`; the first relay set stays.
    pub fn relay_through(&self, relay: tokio::sync::mpsc::UnboundedSender<Committed>) {
        let _ = self.relay.set(relay);
    }
}

/// Runs the same sqlx code on the connection of whichever transaction `tx` holds; `$conn` is a
/// `&mut` connection, so reborrow it (`&mut *conn`) to run several queries.
#[macro_export]
macro_rules! tx_run {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut ($tx).conn {
            $crate::db::TxConn::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            $crate::db::TxConn::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
}

impl Tx {
    fn new(conn: TxConn, feed: &CommitFeed) -> Self {
        Self {
            conn,
            feed: feed.clone(),
            announced: Vec::new(),
            jobs_queued: false,
        }
    }

    /// Wakes this process's job workers once this transaction commits: it queued work for them.
    pub fn queued_jobs(&mut self) {
        self.jobs_queued = true;
    }

    /// Tells the commit feed of `committed` once this transaction commits.
    pub fn announce(&mut self, committed: Committed) {
        self.announced.push(committed);
    }

    pub async fn commit(self) -> Result<(), DbError> {
        match self.conn {
            TxConn::Sqlite(tx) => tx.commit().await?,
            TxConn::Postgres(tx) => tx.commit().await?,
        }
        for committed in self.announced {
            self.feed.publish(committed);
        }
        if self.jobs_queued {
            self.feed.jobs_queued.notify_waiters();
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    feed: CommitFeed,
}

impl Db {
    /// Opens a pool for `url`. A SQLite file (and its folder) is created on first use, in WAL mode
    /// with foreign keys enforced; PostgreSQL is connected eagerly so a wrong URL fails at start-up.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        let backend = Backend::from_url(url)?;
        let invalid = |source| DbError::InvalidUrl {
            url: redacted_url(url),
            source,
        };
        let connect_err = |source| DbError::Connect { backend, source };
        let pool = match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(invalid)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(ACQUIRE_TIMEOUT);
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                if !in_memory {
                    create_parent_dir(options.get_filename())?;
                }
                // Each connection to an in-memory database would get a database of its own.
                let max_connections = if in_memory { 1 } else { max_connections };
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(connect_err)?;
                Pool::Sqlite(pool)
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url).map_err(invalid)?;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(connect_err)?;
                Pool::Postgres(pool)
            }
        };
        Ok(Self {
            pool,
            feed: CommitFeed::default(),
        })
    }

    /// Starts a transaction; dropping it without [`Tx::commit`] rolls it back.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let conn = match &self.pool {
            // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
            // writes can fail with "database is locked" when another writer got in between.
            Pool::Sqlite(pool) => TxConn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => TxConn::Postgres(pool.begin().await?),
        };
        Ok(Tx::new(conn, &self.feed))
    }

    /// A transaction that only reads: on SQLite it takes no write lock, so it never waits for
    /// (or holds up) writers. Writing in it can fail with "database is locked"; use [`Self::begin`].
    pub async fn begin_read(&self) -> Result<Tx, DbError> {
        let conn = match &self.pool {
            Pool::Sqlite(pool) => TxConn::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => TxConn::Postgres(pool.begin().await?),
        };
        Ok(Tx::new(conn, &self.feed))
    }

    /// What this process's committed transactions announce.
    pub fn feed(&self) -> &CommitFeed {
        &self.feed
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies every migration not yet applied; safe to run on every start and from several
    /// nodes at once (sqlx takes a database lock while migrating).
    #[tracing::instrument(skip(self), fields(backend = %self.backend()))]
    pub async fn migrate(&self) -> Result<(), DbError> {
        db_run!(self, |pool| self.migrator().run(pool).await)?;
        Ok(())
    }

    /// Versions of the migrations shipped in this binary that the database has not applied yet.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>, DbError> {
        let applied: Vec<i64> = match self.has_migrations_table().await? {
            true => db_run!(self, |pool| {
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = $1")
                    .bind(true)
                    .fetch_all(pool)
                    .await
            })?,
            false => Vec::new(),
        };
        Ok(self
            .migrator()
            .iter()
            .map(|migration| migration.version)
            .filter(|version| !applied.contains(version))
            .collect())
    }

    async fn has_migrations_table(&self) -> Result<bool, DbError> {
        // The catalogues differ: SQLite lists tables in sqlite_master, PostgreSQL in
        // information_schema (restricted to the schema on the search path).
        let found: Option<i64> = match &self.pool {
            Pool::Sqlite(pool) => sqlx::query_scalar(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_optional(pool)
            .await?,
            Pool::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT 1::BIGINT FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
                )
                .fetch_optional(pool)
                .await?
            }
        };
        Ok(found.is_some())
    }

    /// Answers whether the database takes a trivial query right now.
    pub async fn ping(&self) -> Result<(), DbError> {
        let _: i64 = db_run!(self, |pool| {
            sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
                .fetch_one(pool)
                .await
        })?;
        Ok(())
    }

    /// Closes every pooled connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        db_run!(self, |pool| pool.close().await)
    }
}

fn create_parent_dir(file: &Path) -> Result<(), DbError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.display().to_string(),
                source,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_take_wildcards_as_they_are() {
        assert_eq!(contains_pattern(Some("  Sari ")).as_deref(), Some("%sari%"));
        assert_eq!(
            contains_pattern(Some(r"50%_off\")).as_deref(),
            Some(r"%50\%\_off\\%")
        );
        assert_eq!(contains_pattern(Some("   ")), None);
        assert_eq!(contains_pattern(None), None);
    }

    #[test]
    fn passwords_are_taken_out_of_database_urls() {
        for (url, shown) in [
            (
                "postgres://app:s3cret@db:5432/web",
                "postgres://app:***@db:5432/web",
            ),
            ("postgres://app:p@ss@db/web", "postgres://app:***@db/web"),
            ("postgres://app@db/web", "postgres://app@db/web"),
            (
                "postgres://db/web?user=app&password=s3cret&sslmode=require",
                "postgres://db/web?user=app&password=***&sslmode=require",
            ),
            ("sqlite://data/webrana.db", "sqlite://data/webrana.db"),
            ("app:s3cret@db/web", "app:***@db/web"),
        ] {
            assert_eq!(redacted_url(url), shown);
        }
    }

    #[test]
    fn backend_is_chosen_by_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/webrana.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("sqlite::memory:").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        let err = Backend::from_url("mysql://u@h/db").unwrap_err();
        assert!(err.to_string().contains("mysql://u@h/db"), "{err}");
    }

    #[tokio::test]
    async fn sqlite_file_and_folder_are_created_with_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nested/deeper/app.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()), 2)
            .await
            .unwrap();
        assert!(file.exists());
        let Pool::Sqlite(pool) = db.pool() else {
            panic!("expected sqlite")
        };
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[tokio::test]
    async fn unreachable_postgres_is_a_connect_error() {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let err = Db::connect("postgres://nobody@127.0.0.1:1/none", 1)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DbError::Connect {
                    backend: Backend::Postgres,
                    ..
                }
            ),
            "{err}"
        );
    }
}
