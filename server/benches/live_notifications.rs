//! Opens N authenticated WebSockets (`/ws/notifications`, default 10,000) to one `server`
//! process, commits notifications to their users from this process (its commit feed relayed
//! through Redis, as a second node would), and reports how long each took from its commit to
//! its socket, and the server's resident memory. Run it with `scripts/bench-live`; the figures
//! go to `docs/benchmarks.md`.
//!
//! Options (`--name value`): `--sockets` (10000), `--notifications` (2000), `--rate` per second
//! (200), `--database` `sqlite` or `postgres` (sqlite), `--redis` (redis://127.0.0.1:6379).

// A bench reports and panics on what it cannot do, like a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use domain::accounts::Role;
use domain::accounts::tokens::{JwtKeys, SigningKey};
use domain::notifications::{Notice, notify};
use domain::testing::TestDb;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use support::{Server, seed_users};

const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";
/// Sockets opening at once: enough to be quick, few enough not to overflow the listen backlog.
const OPENING_AT_ONCE: usize = 256;

struct Options {
    sockets: usize,
    notifications: usize,
    rate: u32,
    database: String,
    redis: String,
}

impl Options {
    fn parse() -> Self {
        let mut options = Self {
            sockets: 10_000,
            notifications: 2_000,
            rate: 200,
            database: "sqlite".to_owned(),
            redis: "redis://127.0.0.1:6379".to_owned(),
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
                "--sockets" => options.sockets = number(),
                "--notifications" => options.notifications = number(),
                "--rate" => options.rate = number() as u32,
                "--database" if value == "sqlite" || value == "postgres" => {
                    options.database = value
                }
                "--redis" => options.redis = value,
                _ => usage(&format!("unknown option {name} {value}")),
            }
        }
        options
    }
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: live_notifications [--sockets N] [--notifications N] [--rate PER_SECOND] \
         [--database sqlite|postgres] [--redis URL]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let options = Options::parse();
    let test = match options.database.as_str() {
        "postgres" => TestDb::postgres().await,
        _ => TestDb::sqlite().await,
    };
    let users = seed_users(&test, "bench", "customer", options.sockets).await;
    let mut server = Server::start(
        test.url(),
        &[("REDIS_URL", &options.redis), ("JWT_SECRET", JWT_SECRET)],
    );
    server.wait_ready().await;
    let port = server.port;
    let idle_rss = server.rss_kib();

    // This process commits like a second node: through its own pool, relayed by Redis.
    server::relay::start(&options.redis, test.db.feed())
        .await
        .unwrap();

    let (arrivals, mut arrived) = mpsc::unbounded_channel::<(i64, Instant)>();
    let keys = JwtKeys::new(SigningKey::new(JWT_SECRET.as_bytes().to_vec()), vec![]);
    let started = Instant::now();
    let opened = open_sockets(port, &users, &keys, arrivals).await;
    let open_time = started.elapsed();
    let connected_rss = server.rss_kib();
    println!(
        "opened {opened} sockets in {:.1} s; server RSS {} MiB idle, {} MiB with the sockets open",
        open_time.as_secs_f64(),
        idle_rss / 1024,
        connected_rss / 1024
    );

    let committed = commit_notifications(&test, &users, options.notifications, options.rate).await;
    let mut peak_rss = server.rss_kib();
    let mut latencies = Vec::with_capacity(committed.len());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut sample = tokio::time::interval(Duration::from_millis(200));
    while latencies.len() < committed.len() && Instant::now() < deadline {
        tokio::select! {
            Some((id, at)) = arrived.recv() => {
                if let Some(commit) = committed.get(&id) {
                    latencies.push(at.saturating_duration_since(*commit));
                }
            }
            _ = sample.tick() => peak_rss = peak_rss.max(server.rss_kib()),
        }
    }
    peak_rss = peak_rss.max(server.rss_kib());
    latencies.sort();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index].as_secs_f64() * 1000.0
    };
    println!(
        "database {}, {} sockets, {} notifications at {}/s: delivered {}/{}",
        options.database,
        opened,
        committed.len(),
        options.rate,
        latencies.len(),
        committed.len()
    );
    if latencies.is_empty() {
        eprintln!("nothing was delivered");
        std::process::exit(1);
    }
    println!(
        "latency from commit to socket: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(0.50),
        percentile(0.90),
        percentile(0.99),
        percentile(1.0)
    );
    println!("server RSS peak {} MiB", peak_rss / 1024);
    server.stop();
}

/// Opens one socket per user, each read by its own task that reports every notification's
/// arrival. Answers how many opened.
async fn open_sockets(
    port: u16,
    users: &[(i64, i64)],
    keys: &JwtKeys,
    arrivals: mpsc::UnboundedSender<(i64, Instant)>,
) -> usize {
    let opening = Arc::new(tokio::sync::Semaphore::new(OPENING_AT_ONCE));
    let (opened, mut ready) = mpsc::unbounded_channel::<()>();
    for &(user_id, session_id) in users {
        let token = keys
            .issue(user_id, session_id, Role::Customer, Utc::now())
            .unwrap();
        let permit = opening.clone().acquire_owned().await.unwrap();
        let arrivals = arrivals.clone();
        let opened = opened.clone();
        tokio::spawn(async move {
            let mut request = format!("ws://127.0.0.1:{port}/ws/notifications")
                .into_client_request()
                .unwrap();
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            let config = WebSocketConfig::default()
                .read_buffer_size(4096)
                .write_buffer_size(4096);
            let (mut socket, _) =
                tokio_tungstenite::connect_async_with_config(request, Some(config), false)
                    .await
                    .unwrap_or_else(|error| panic!("socket for user {user_id}: {error}"));
            // The first message is the unread count: the socket is live from here on.
            socket.next().await.unwrap().unwrap();
            drop(permit);
            opened.send(()).unwrap();
            while let Some(Ok(message)) = socket.next().await {
                let at = Instant::now();
                if let Message::Text(text) = message {
                    let message: serde_json::Value = serde_json::from_str(&text).unwrap();
                    if let Some(id) = message["notification"]["id"].as_i64() {
                        let _ = arrivals.send((id, at));
                    }
                }
            }
        });
    }
    drop(opened);
    let mut count = 0;
    while count < users.len() && ready.recv().await.is_some() {
        count += 1;
    }
    count
}

/// Commits `count` notifications, one per transaction, to users in turn, `rate` a second.
/// Answers when each committed, by notification id.
async fn commit_notifications(
    test: &TestDb,
    users: &[(i64, i64)],
    count: usize,
    rate: u32,
) -> HashMap<i64, Instant> {
    let mut committed = HashMap::with_capacity(count);
    let mut pace = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    for n in 0..count {
        pace.tick().await;
        let (user_id, _) = users[(n * 7919) % users.len()];
        let mut tx = test.db.begin().await.unwrap();
        let invoice = n as i64 + 1;
        let id = notify(
            &mut tx,
            user_id,
            &Notice::payment_received(invoice, &format!("INV-BENCH-{invoice}"), 50_000),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        committed.insert(id, Instant::now());
    }
    committed
}
