//! The `server` binary run as its own process on a test database, for the tests that need a
//! real process: killed mid-way (crash safety) or several at once (live fan-out through Redis).

use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use domain::accounts::Role;
use domain::accounts::inputs::Language;
use domain::caller::Caller;
use domain::providers::sandbox::SandboxTiming;
use domain::testing::TestDb;
use domain::{AppState, DomainConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Starts each run's part of a shared log.
const RUN_MARKER: &str = "===== server started on port";

/// A ceiling for slow machines, not how long things take (a few seconds).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// One run of the `server` binary; killed if still running when dropped.
pub struct ServerProcess {
    child: Option<Child>,
    pub url: String,
    port: u16,
    log: PathBuf,
    dir: PathBuf,
    database_url: String,
    vars: Vec<(String, String)>,
    http: reqwest::Client,
}

impl ServerProcess {
    /// Starts the binary in `dir` on `test`'s database and a free port, with `vars` added to
    /// its environment, and waits until it is ready. Every run in `dir` appends to the same
    /// log, shown when something fails.
    pub async fn start(test: &TestDb, dir: &Path, vars: &[(&str, &str)]) -> Self {
        // Another process can take the free port before the server binds it: try another.
        for _ in 0..5 {
            let mut server = Self {
                child: None,
                url: String::new(),
                port: free_port(),
                log: dir.join("server.log"),
                dir: dir.to_owned(),
                database_url: test.url().to_owned(),
                vars: vars
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                    .collect(),
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap(),
            };
            if server.spawn().await {
                return server;
            }
        }
        panic!("no free port for the server after five tries");
    }

    /// Runs the binary again, on the same port and with the same environment, once the last
    /// run has stopped; waits until it is ready.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is still running");
        assert!(
            self.spawn().await,
            "the port was taken while the server was stopped"
        );
    }

    /// Starts a run on `self.port`; false when that port turned out to be taken.
    async fn spawn(&mut self) -> bool {
        let port = self.port;
        self.url = format!("http://127.0.0.1:{port}");
        let mut output = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        writeln!(output, "{RUN_MARKER} {port}").unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(&self.dir)
            .env_clear()
            // The request log names the route a request reached before its handler runs.
            .env("RUST_LOG", "info,sqlx=warn,tower_http=debug")
            .env("NO_COLOR", "1")
            // cargo-leptos bakes this in at build time; `cargo test` builds need it at run time.
            .env("LEPTOS_OUTPUT_NAME", "webrana")
            .env("DATABASE_URL", &self.database_url)
            .env("DATABASE_MAX_CONNECTIONS", "5")
            .env("PORT", port.to_string())
            .env("PUBLIC_URL", &self.url)
            .envs(self.vars.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.ready().await
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for `/readyz`; false when the server gave up because its port was taken.
    async fn ready(&mut self) -> bool {
        let started = Instant::now();
        loop {
            if let Ok(answer) = self.http.get(format!("{}/readyz", self.url)).send().await
                && answer.status().is_success()
            {
                return true;
            }
            let child = self.child.as_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                let log = self.log();
                let this_run = log.rsplit(RUN_MARKER).next().unwrap_or_default();
                assert!(
                    this_run.contains("PORT: cannot listen"),
                    "the server stopped ({status}) while starting:\n{}",
                    self.log_tail()
                );
                return false;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the server did not become ready:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, as an orchestrator stops a node, then waits for the process to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("the server is running");
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM failed");
        child.wait().unwrap()
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown, no job handed back.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("the server is running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Everything every run logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The end of [`ServerProcess::log`], for failure messages.
    pub fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(80)..].join("\n")
    }

    /// A REST call: the status and the body as JSON (`null` when it is not).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(&self.http, &self.url, method, path, token, body)
            .await
            .unwrap()
    }

    /// Logs `email` in with [`super::PASSWORD`]; answers the bearer token.
    pub async fn log_in(&self, email: &str) -> String {
        let (status, answer) = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({ "email": email, "password": super::PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["access_token"].as_str().unwrap().to_owned()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A REST call to the server at `base`: the status and the body as JSON (`null` when it is
/// not), or why no answer came.
pub async fn call(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http.request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await?;
    let status = answer.status();
    let text = answer.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A verified customer `email` and a plan on the sandbox cloud, written through the domain
/// before any server starts; answers the plan's id.
pub async fn seed_customer_and_plan(test: &TestDb, email: &str) -> i64 {
    let config = DomainConfig {
        providers: super::sandbox(&test.db, SandboxTiming::default()),
        ..super::config()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let admin = state
        .accounts
        .create_admin(super::ADMIN.0, "Root", super::ADMIN.1)
        .await
        .unwrap();
    super::customer(&state, email, Language::Id).await;
    super::verify_every_email(&test.db).await;
    let admin = Caller {
        user_id: admin.id,
        session_id: 0,
        role: Role::Admin,
        email_verified: true,
    };
    super::nano_plan(&state, &admin).await.id
}
