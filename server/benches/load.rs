//! Load on one `server` process, each scenario reproducing one figure of a busy day. Run it with
//! `scripts/bench-load`; the figures go to `docs/benchmarks.md`.
//!
//! - `pages`: `--connections` (50) clients asking for `/` and `/plans` for `--seconds` (10):
//!   requests answered, failures (not 200, or no answer at all) and panics in the server's log.
//! - `signups`: `--accounts` (200) sign-ups with `--in-flight` (16) at once, then as many
//!   log-ins: the server's resident memory before, at its peak and 30 s after.
//! - `burst`: `--orders` (200) customers' orders paid at once on the sandbox cloud (2 s to make
//!   a server): from each payment to its order's `active`, p50, p95 and the slowest.
//!
//! `--scenario` picks one (default: all three, each on a server of its own), `--database`
//! `sqlite` (default) or `postgres`, and `--env NAME=VALUE` (repeatable) sets a server variable,
//! e.g. `--env JOB_CONCURRENCY=1` to compare with one job at a time.

// A bench reports and panics on what it cannot do, like a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::accounts::Role;
use domain::accounts::tokens::{JwtKeys, SigningKey};
use domain::db_run;
use domain::testing::TestDb;
use futures_util::StreamExt;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};

use support::{Server, rss_kib_of, seed_users};

const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";
const PASSWORD: &str = "kopi-tubruk-pagi-7";

struct Options {
    scenarios: Vec<String>,
    database: String,
    connections: usize,
    seconds: u64,
    accounts: usize,
    in_flight: usize,
    orders: usize,
    env: Vec<(String, String)>,
}

impl Options {
    fn parse() -> Self {
        let mut options = Self {
            scenarios: Vec::new(),
            database: "sqlite".to_owned(),
            connections: 50,
            seconds: 10,
            accounts: 200,
            in_flight: 16,
            orders: 200,
            env: Vec::new(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(name) = args.next() {
            // `cargo bench` passes `--bench` to every bench target.
            if name == "--bench" {
                continue;
            }
            let value = args
                .next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")));
            let number = || {
                value
                    .parse()
                    .unwrap_or_else(|_| usage(&format!("{name}: not a number")))
            };
            match name.as_str() {
                "--scenario" if ["pages", "signups", "burst"].contains(&value.as_str()) => {
                    options.scenarios.push(value)
                }
                "--database" if value == "sqlite" || value == "postgres" => {
                    options.database = value
                }
                "--connections" => options.connections = number(),
                "--seconds" => options.seconds = number() as u64,
                "--accounts" => options.accounts = number(),
                "--in-flight" => options.in_flight = number(),
                "--orders" => options.orders = number(),
                "--env" => match value.split_once('=') {
                    Some((key, value)) => options.env.push((key.to_owned(), value.to_owned())),
                    None => usage("--env takes NAME=VALUE"),
                },
                _ => usage(&format!("unknown option {name} {value}")),
            }
        }
        if options.scenarios.is_empty() {
            options.scenarios = ["pages", "signups", "burst"].map(str::to_owned).to_vec();
        }
        options
    }

    /// Starts a server on a fresh database with the bench's settings and `--env` over them.
    async fn server(&self, test: &TestDb) -> Server {
        let mut env: Vec<(&str, &str)> = vec![
            ("JWT_SECRET", JWT_SECRET),
            ("SANDBOX_CREATE_SECS", "2"),
            ("SANDBOX_ACTION_SECS", "1"),
            // A VM per server would measure QEMU, not us.
            ("SANDBOX_VM", "off"),
        ];
        env.extend(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut server = Server::start(test.url(), &env);
        server.wait_ready().await;
        server
    }

    async fn database(&self) -> TestDb {
        match self.database.as_str() {
            "postgres" => TestDb::postgres().await,
            _ => TestDb::sqlite().await,
        }
    }
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: load [--scenario pages|signups|burst]... [--database sqlite|postgres] \
         [--connections N] [--seconds N] [--accounts N] [--in-flight N] [--orders N] [--env NAME=VALUE]..."
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let options = Options::parse();
    let extra: Vec<String> = options
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!(
        "database {}, server settings: {}",
        options.database,
        if extra.is_empty() {
            "defaults".to_owned()
        } else {
            extra.join(" ")
        }
    );
    for scenario in &options.scenarios {
        let test = options.database().await;
        let mut server = options.server(&test).await;
        match scenario.as_str() {
            "pages" => pages(&options, &mut server).await,
            "signups" => signups(&options, &mut server).await,
            _ => burst(&options, &test, &mut server).await,
        }
        server.stop();
    }
}

/// A client whose connections come from `127.0.0.n`: the server counts attempts per address,
/// as it would for visitors from many places.
fn client_from(n: usize) -> reqwest::Client {
    let [a, b] = u16::try_from(n % 65_000 + 1).unwrap().to_be_bytes();
    reqwest::Client::builder()
        .no_proxy()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, a, b)))
        .build()
        .unwrap()
}

async fn pages(options: &Options, server: &mut Server) {
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let (answered, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let clients: Vec<_> = (0..options.connections)
        .map(|n| {
            let (answered, failed) = (answered.clone(), failed.clone());
            let urls = [server.url("/"), server.url("/plans")];
            tokio::spawn(async move {
                let client = client_from(n);
                let mut turn = n;
                while Instant::now() < deadline {
                    turn += 1;
                    let answer = client.get(&urls[turn % 2]).send().await;
                    let whole = match answer {
                        Ok(answer) if answer.status().is_success() => answer.text().await.is_ok(),
                        _ => false,
                    };
                    let counter = if whole { &answered } else { &failed };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    let (answered, failed) = (
        answered.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
    );
    println!(
        "pages: {} connections on / and /plans for {} s: {} answered ({:.0}/s), {} failed, {} panics in the server's log",
        options.connections,
        options.seconds,
        answered,
        answered as f64 / options.seconds as f64,
        failed,
        server.panics()
    );
}

/// Samples the server's resident memory every 100 ms until `done`, answering the peak in KiB.
fn sample_peak(server: &Server, done: Arc<AtomicBool>) -> tokio::task::JoinHandle<u64> {
    let pid = server.pid();
    tokio::spawn(async move {
        let mut peak = 0;
        while !done.load(Ordering::Relaxed) {
            if let Some(rss) = rss_kib_of(pid) {
                peak = peak.max(rss);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak
    })
}

async fn signups(options: &Options, server: &mut Server) {
    let before = server.rss_kib();
    let done = Arc::new(AtomicBool::new(false));
    let peak = sample_peak(server, done.clone());
    let count = |answers: Vec<u16>| {
        let ok = answers.iter().filter(|status| **status == 200).count();
        (ok, answers.len() - ok)
    };

    let started = Instant::now();
    let sign_up = server.url(app::auth::SignUp::PATH);
    let answers: Vec<u16> = futures_util::stream::iter(0..options.accounts)
        .map(|n| {
            let sign_up = sign_up.clone();
            async move {
                let form = format!(
                    "name=Bench+{n}&email=load{n}%40webrana.test&password={PASSWORD}&language=en"
                );
                client_from(n)
                    .post(&sign_up)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("accept", "application/json")
                    .body(form)
                    .send()
                    .await
                    .map_or(0, |answer| answer.status().as_u16())
            }
        })
        .buffer_unordered(options.in_flight)
        .collect()
        .await;
    let (signed_up, refused) = count(answers);
    let sign_up_time = started.elapsed();

    let started = Instant::now();
    let login = server.url("/api/v1/auth/login");
    let answers: Vec<u16> = futures_util::stream::iter(0..options.accounts)
        .map(|n| {
            let login = login.clone();
            async move {
                client_from(n)
                    .post(&login)
                    .json(
                        &json!({ "email": format!("load{n}@webrana.test"), "password": PASSWORD }),
                    )
                    .send()
                    .await
                    .map_or(0, |answer| answer.status().as_u16())
            }
        })
        .buffer_unordered(options.in_flight)
        .collect()
        .await;
    let (logged_in, login_refused) = count(answers);
    let login_time = started.elapsed();
    let after_load = server.rss_kib();
    tokio::time::sleep(Duration::from_secs(30)).await;
    done.store(true, Ordering::Relaxed);
    let peak = peak.await.unwrap();
    let rested = server.rss_kib();
    println!(
        "signups: {signed_up} signed up ({refused} refused) in {:.1} s, then {logged_in} logged in ({login_refused} refused) in {:.1} s, {} at once",
        sign_up_time.as_secs_f64(),
        login_time.as_secs_f64(),
        options.in_flight
    );
    println!(
        "signups: server RSS {} MiB before, peak {} MiB, {} MiB when the last answered, {} MiB 30 s later",
        before / 1024,
        peak / 1024,
        after_load / 1024,
        rested / 1024
    );
}

async fn burst(options: &Options, test: &TestDb, server: &mut Server) {
    let keys = JwtKeys::new(SigningKey::new(JWT_SECRET.as_bytes().to_vec()), vec![]);
    let admin = seed_users(test, "admin", "admin", 1).await[0];
    let customers = seed_users(test, "buyer", "customer", options.orders).await;
    let bearer = |(user_id, session_id): (i64, i64), role: Role| {
        keys.issue(user_id, session_id, role, Utc::now()).unwrap()
    };
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let call = |method: reqwest::Method, path: &str, token: &str, body: Value| {
        let request = http
            .request(method, server.url(path))
            .bearer_auth(token)
            .json(&body);
        async move {
            let answer = request.send().await.unwrap();
            let status = answer.status();
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            assert!(status.is_success(), "{status}: {body}");
            body
        }
    };

    let plan_id = support::seed_plan(server, &bearer(admin, Role::Admin)).await;

    let tokens: Vec<String> = customers
        .iter()
        .map(|&customer| bearer(customer, Role::Customer))
        .collect();
    let references: Vec<String> = futures_util::stream::iter(tokens.iter().enumerate())
        .map(|(n, token)| {
            let call = &call;
            async move {
                let order = json!({ "plan_id": plan_id, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": format!("load-{n}"), "period_months": 1 });
                let placed = call(reqwest::Method::POST, "/api/v1/orders", token, order).await;
                let invoice = placed["invoice"]["id"].as_i64().unwrap();
                let payment = call(reqwest::Method::POST, &format!("/api/v1/invoices/{invoice}/payments"), token, json!({ "channel": "QRIS" })).await;
                payment["reference"].as_str().unwrap().to_owned()
            }
        })
        // In order: each reference is paid with its own customer's token.
        .buffered(16)
        .collect()
        .await;
    // Let the notification and e-mail jobs of the orders placed settle, so the burst starts
    // from a quiet queue.
    wait_for_queue(test, Duration::from_secs(60)).await;

    let cpu_before = (
        cpu_seconds(server.pid()),
        cpu_seconds(std::process::id()),
        machine_seconds(),
    );
    let started = Instant::now();
    futures_util::future::join_all(tokens.iter().zip(&references).map(|(token, reference)| {
        call(
            reqwest::Method::POST,
            &format!("/api/v1/payments/sandbox/{reference}"),
            token,
            json!({ "outcome": "pay" }),
        )
    }))
    .await;
    let paid_in = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    while active_orders(test).await < options.orders as i64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all_active_in = started.elapsed();
    let cpu = (
        cpu_seconds(server.pid()) - cpu_before.0,
        cpu_seconds(std::process::id()) - cpu_before.1,
    );
    let machine = machine_seconds();
    let (machine_busy, machine_iowait) = (machine.0 - cpu_before.2.0, machine.1 - cpu_before.2.1);
    let stages = stages(test).await;
    let active = stages.len();
    assert!(active > 0, "no order became active");
    let mut waits: Vec<Duration> = stages.iter().map(|stage| stage.iter().sum()).collect();
    waits.sort();
    let percentile = |p: f64| percentile_of(&waits, p);
    let jobs = jobs_run(test, started).await;
    wait_for_queue(test, Duration::from_secs(120)).await;
    let queue_empty_in = started.elapsed();
    println!(
        "burst: {} orders paid at once (all payments answered in {:.2} s); {active} active, the last {:.2} s after the first payment",
        options.orders,
        paid_in.as_secs_f64(),
        all_active_in.as_secs_f64()
    );
    println!(
        "burst: payment to active p50 {:.2} s, p95 {:.2} s, slowest {:.2} s; {jobs} jobs queued, the queue empty {:.1} s after the first payment",
        percentile(0.50),
        percentile(0.95),
        percentile(1.0),
        queue_empty_in.as_secs_f64()
    );
    let stage_names = [
        "paid -> server recorded (the order's job)",
        "server recorded -> create sent (the server's job)",
        "create sent -> running (the cloud's 2 s, then the server's job)",
        "running -> order active (the order's job, woken)",
    ];
    for (index, name) in stage_names.iter().enumerate() {
        let mut times: Vec<Duration> = stages.iter().map(|stage| stage[index]).collect();
        times.sort();
        println!(
            "burst: {name}: p50 {:.2} s, p95 {:.2} s",
            percentile_of(&times, 0.50),
            percentile_of(&times, 0.95)
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "burst: until the last was active the server used {:.1} s of CPU, this bench {:.1} s, the whole machine {:.1} s busy and {:.1} s waiting for the disk, of {:.1} s ({cores} cores)",
        cpu.0,
        cpu.1,
        machine_busy,
        machine_iowait,
        all_active_in.as_secs_f64() * cores as f64,
    );
}

/// The whole machine's CPU time since boot, busy and waiting for the disk, in seconds
/// (`/proc/stat`, 100 ticks a second).
fn machine_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|value| value.parse().ok())
        .collect();
    let at = |index: usize| ticks.get(index).copied().unwrap_or(0.0) / 100.0;
    // user, nice, system, idle, iowait, irq, softirq, steal
    (at(0) + at(1) + at(2) + at(5) + at(6) + at(7), at(4))
}

/// User and system CPU time a process has used, in seconds (`/proc/PID/stat`, 100 ticks a
/// second on Linux).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line; counting from the state (field 3), 11 and 12.
    (ticks(11) + ticks(12)) / 100.0
}

async fn active_orders(test: &TestDb) -> i64 {
    db_run!(&test.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE status = 'active'")
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

/// For each active order, the four steps from its move to `paid` to its move to `active`, as
/// its own history and its server's record them.
async fn stages(test: &TestDb) -> Vec<[Duration; 4]> {
    type Times = (
        DateTime<Utc>,
        DateTime<Utc>,
        DateTime<Utc>,
        DateTime<Utc>,
        DateTime<Utc>,
    );
    let rows: Vec<Times> = db_run!(&test.db, |pool| {
        sqlx::query_as(
            "SELECT paid.at, provisioning.at, COALESCE(instances.create_sent_at, provisioning.at), ready.at, active.at \
             FROM order_events paid \
             JOIN order_events provisioning ON provisioning.order_id = paid.order_id AND provisioning.to_status = 'provisioning' \
             JOIN order_events active ON active.order_id = paid.order_id AND active.to_status = 'active' \
             JOIN instances ON instances.order_id = paid.order_id \
             JOIN instance_events ready ON ready.instance_id = instances.id AND ready.kind = 'ready' \
             WHERE paid.to_status = 'paid'",
        )
        .fetch_all(pool)
        .await
    })
    .unwrap();
    let between = |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).to_std().unwrap_or_default();
    rows.into_iter()
        .map(|(paid, recorded, sent, running, active)| {
            [
                between(paid, recorded),
                between(recorded, sent),
                between(sent, running),
                between(running, active),
            ]
        })
        .collect()
}

/// The `p` quantile (0–1) of sorted `times`, in seconds.
fn percentile_of(times: &[Duration], p: f64) -> f64 {
    let index = ((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1;
    times[index].as_secs_f64()
}

/// Jobs finished or still to run that were made after `since`.
async fn jobs_run(test: &TestDb, since: Instant) -> i64 {
    let since = Utc::now() - chrono::Duration::from_std(since.elapsed()).unwrap();
    db_run!(&test.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE created_at >= $1")
            .bind(since)
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

/// Waits until no job is due now or running (the recurring sweeps wait for later).
async fn wait_for_queue(test: &TestDb, at_most: Duration) {
    let deadline = Instant::now() + at_most;
    loop {
        let busy: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE state = 'running' OR (state = 'queued' AND run_at <= $1)",
            )
            .bind(Utc::now())
            .fetch_one(pool)
            .await
        })
        .unwrap();
        if busy == 0 || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
