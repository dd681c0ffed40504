//! What the benches that drive a `server` process share: starting it on a database with its
//! own settings, waiting for it to be ready, reading its memory, stopping it.

// Each bench compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use domain::db_run;
use domain::testing::TestDb;

const USERS_PER_INSERT: usize = 500;

/// The `server` binary under test, its log read line by line for panics.
pub struct Server {
    child: Child,
    pub port: u16,
    panics: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts the binary on `database_url` and a free port, in an empty working folder, with
    /// nothing from this process's environment but `env`.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .current_dir(dir.path())
            .env_clear()
            .env("RUST_LOG", "warn")
            .env("LEPTOS_OUTPUT_NAME", "webrana")
            .env("DATABASE_URL", database_url)
            .env("PORT", port.to_string())
            .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            // Written, as a node writes its log, but read by nothing here: a reader on this
            // machine would take its share of the cores being measured.
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let panics = Arc::new(AtomicUsize::new(0));
        let stderr = child.stderr.take().unwrap();
        let counting = panics.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("panicked at") {
                    counting.fetch_add(1, Ordering::Relaxed);
                }
                eprintln!("server: {line}");
            }
        });
        Self {
            child,
            port,
            panics,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn wait_ready(&mut self) {
        let started = Instant::now();
        let http = reqwest::Client::new();
        loop {
            if let Ok(answer) = http.get(self.url("/readyz")).send().await
                && answer.status().is_success()
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the server stopped while starting: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in KiB, from the kernel's own account.
    pub fn rss_kib(&self) -> u64 {
        rss_kib_of(self.child.id()).unwrap()
    }

    /// Processor time the server has used so far, user and system, all its threads (those
    /// gone too), in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        // The kernel counts in USER_HZ ticks, 100 a second on Linux whatever the kernel's HZ.
        const TICKS_PER_SECOND: f64 = 100.0;
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // After the command name (which may hold spaces, so from its closing parenthesis):
        // state is field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        ticks as f64 / TICKS_PER_SECOND
    }

    /// Panics the server has logged so far.
    pub fn panics(&self) -> usize {
        self.panics.load(Ordering::Relaxed)
    }

    pub fn stop(self) {
        drop(self);
    }
}

/// A bench that panics still stops its server: it would outlive the database it was given.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process's resident memory in KiB, from the kernel's own account; `None` once it is gone.
pub fn rss_kib_of(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Inserts `count` verified users with `role`, e-mailed `{prefix}{n}@webrana.test`, each with
/// one session, in a few big statements (registering them one by one would spend the run
/// hashing passwords). Answers their `(user id, session id)` pairs in order.
pub async fn seed_users(test: &TestDb, prefix: &str, role: &str, count: usize) -> Vec<(i64, i64)> {
    let now = Utc::now();
    let expires = now + chrono::Duration::days(1);
    for first in (0..count).step_by(USERS_PER_INSERT) {
        let last = (first + USERS_PER_INSERT).min(count);
        let rows: Vec<String> = (first..last)
            .map(|n| {
                format!(
                    "('{prefix}{n}@webrana.test', 'Bench {n}', 'not-a-password-hash', '{role}', 'en', $1, 0, $1, $1)"
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO users (email, name, password_hash, role, language, email_verified_at, \
             failed_logins, created_at, updated_at) VALUES {}",
            rows.join(", ")
        );
        db_run!(&test.db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
    }
    let pattern = format!("{prefix}%");
    db_run!(&test.db, |pool| {
        sqlx::query(
            "INSERT INTO sessions (user_id, user_agent, ip, created_at, last_used_at, expires_at) \
             SELECT id, 'bench', '127.0.0.1', $1, $1, $2 FROM users WHERE email LIKE $3",
        )
        .bind(now)
        .bind(expires)
        .bind(&pattern)
        .execute(pool)
        .await
        .map(|_| ())
    })
    .unwrap();
    db_run!(&test.db, |pool| {
        sqlx::query_as(
            "SELECT users.id, sessions.id FROM users JOIN sessions ON sessions.user_id = users.id \
             WHERE users.email LIKE $1 ORDER BY users.id",
        )
        .bind(&pattern)
        .fetch_all(pool)
        .await
    })
    .unwrap()
}

/// Waits for the sandbox catalog the server syncs at start-up, then creates a visible plan on
/// it through the admin API with `admin_token`; answers its id.
pub async fn seed_plan(server: &Server, admin_token: &str) -> i64 {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sizes: serde_json::Value = http
            .get(server.url("/api/v1/admin/catalog/sizes"))
            .bearer_auth(admin_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_default();
        if sizes.as_array().is_some_and(|sizes| !sizes.is_empty()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sandbox catalog never arrived"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let answer = http
        .post(server.url("/api/v1/admin/plans"))
        .bearer_auth(admin_token)
        .json(&serde_json::json!({
            "name": "Nano", "provider": "sandbox", "size_slug": "sbx-1c-1g", "vcpus": null,
            "memory_mb": null, "disk_gb": null, "transfer_gb": null, "price_idr_monthly": 75000,
            "discount_3m_percent": 0, "discount_6m_percent": 0, "discount_12m_percent": 0,
            "region_slugs": ["sbx-jkt1"], "image_slugs": ["ubuntu-24-04-x64"], "visible": true,
            "sort_order": 0
        }))
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_success(),
        "the plan was not created: {}",
        answer.status()
    );
    let plan: serde_json::Value = answer.json().await.unwrap();
    plan["id"].as_i64().unwrap()
}
