//! The `server` binary as an operator meets it: exit codes, one-line errors, signals.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn server(dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "warn")
        // cargo-leptos bakes this in at build time; `cargo test` builds need it at run time.
        .env("LEPTOS_OUTPUT_NAME", "webrana")
        .envs(vars.iter().copied())
        .stdin(Stdio::null());
    command
}

fn run(vars: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    server(dir.path(), vars).output().unwrap()
}

/// Asserts the run failed with exit code 2 and exactly one line on stderr starting `prefix`.
fn assert_one_line_exit_2(output: &Output, prefix: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr: {stderr}");
    assert!(lines[0].starts_with(prefix), "stderr: {stderr}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn malformed_database_url_is_one_line_and_exit_2() {
    let output = run(&[("DATABASE_URL", "mysql://root@localhost/webrana")]);
    assert_one_line_exit_2(
        &output,
        "DATABASE_URL: expected sqlite://PATH or postgres://",
    );
}

#[test]
fn unreachable_database_is_one_line_and_exit_2() {
    let output = run(&[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")]);
    assert_one_line_exit_2(
        &output,
        "DATABASE_URL: cannot connect to the postgres database",
    );
}

#[test]
fn a_real_cloud_without_real_payments_is_one_line_and_exit_2() {
    let output = run(&[("LINODE_API_TOKEN", "linode-token-123")]);
    assert_one_line_exit_2(
        &output,
        "PAYMENT_GATEWAY: LINODE_API_TOKEN sells real servers, so payments must be real",
    );
}

#[test]
fn bad_port_is_one_line_and_exit_2() {
    let output = run(&[("PORT", "99999")]);
    assert_one_line_exit_2(&output, "PORT: expected a port number");
}

#[test]
fn taken_port_is_one_line_and_exit_2() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = run(&[("PORT", &port)]);
    assert_one_line_exit_2(&output, &format!("PORT: cannot listen on 127.0.0.1:{port}"));
}

#[test]
fn migrate_creates_the_embedded_database() {
    let dir = tempfile::tempdir().unwrap();
    let output = server(dir.path(), &[]).arg("migrate").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "migrations applied"
    );
    assert!(dir.path().join("data/webrana.db").exists());
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let mut child = tokio::process::Command::from(server(dir.path(), &[("PORT", &port)]))
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let started = Instant::now();
    loop {
        if let Ok(response) = reqwest::get(&url).await
            && response.status().is_success()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("server did not stop after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn create_admin_prints_a_one_time_password_that_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let output = server(dir.path(), &[])
        .args(["create-admin", "--email", "ops@webrana.test"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let password = stdout.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(stdout.contains("one-time password"), "{stdout}");
    assert_eq!(password.len(), 20);

    let url = format!("sqlite://{}", dir.path().join("data/webrana.db").display());
    let db = domain::Db::connect(&url, 1).await.unwrap();
    let state = domain::AppState::new(db, &domain::DomainConfig::default())
        .await
        .unwrap();
    let login = domain::accounts::Login {
        email: "ops@webrana.test",
        password: &password,
        second_factor: None,
    };
    let tokens = state
        .accounts
        .log_in(login, &Default::default())
        .await
        .unwrap();
    assert_eq!(tokens.user.role, domain::accounts::Role::Admin);

    // A second admin with the same e-mail is refused, in one line, with exit code 2.
    let again = server(dir.path(), &[])
        .args(["create-admin", "--email", "ops@webrana.test"])
        .output()
        .unwrap();
    assert_one_line_exit_2(&again, "an account with this e-mail already exists");
}
