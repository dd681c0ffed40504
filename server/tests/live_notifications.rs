//! `/ws/notifications` on a real socket, on both databases: a signed-in customer hears a
//! notification the moment it commits and their unread count when they read; a reconnect with
//! the last id seen gets what was missed; no session is 401, another site's page cannot open
//! the socket with the user's cookies, and with Redis what one server process commits reaches
//! the sockets of another.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use domain::accounts::inputs::Language;
use domain::notifications::{Notice, notify};
use domain::testing::TestDb;
use domain::{both_backends, db_run};
use futures_util::StreamExt;
use serde_json::Value;
use support::binary::{ServerProcess, seed_customer_and_plan};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

const SARI: &str = "sari@webrana.test";
const RINA: &str = "rina@webrana.test";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    address: impl std::fmt::Display,
    query: &str,
    headers: &[(&'static str, String)],
) -> Result<Socket, WsError> {
    let mut request = format!("ws://{address}/ws/notifications{query}")
        .into_client_request()
        .unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

/// The next JSON message, skipping pings.
async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

async fn tell(test: &TestDb, user_id: i64, invoice: i64) -> i64 {
    let mut tx = test.db.begin().await.unwrap();
    let id = notify(
        &mut tx,
        user_id,
        &Notice::payment_received(invoice, &format!("INV-{invoice}"), 50_000),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

both_backends! {
    async fn a_customer_hears_notifications_as_they_commit_and_catches_up_after_a_drop(test: TestDb) {
        let env = support::env(&test).await;
        env.customer(SARI, Language::En).await;
        let sari: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(SARI).fetch_one(pool).await
        })
        .unwrap();
        let token = env.access_token(SARI).await;
        let address = support::serve(env.router.clone()).await;
        let bearer = [("authorization", format!("Bearer {token}"))];

        let refused = connect(address, "", &[]).await.unwrap_err();
        assert!(matches!(&refused, WsError::Http(answer) if answer.status() == 401), "{refused}");

        let mut socket = connect(address, "", &bearer).await.unwrap();
        assert_eq!(next(&mut socket).await, serde_json::json!({ "type": "unread", "count": 0 }));
        env.customer(RINA, Language::En).await;
        let rina = [("authorization", format!("Bearer {}", env.access_token(RINA).await))];
        let mut bystander = connect(address, "", &rina).await.unwrap();
        assert_eq!(next(&mut bystander).await["type"], "unread");
        let first = tell(&test, sari, 1).await;
        let heard = next(&mut socket).await;
        assert_eq!((heard["type"].as_str(), heard["notification"]["id"].as_i64()), (Some("notification"), Some(first)));
        assert_eq!(heard["notification"]["title"], "Payment received");
        assert_eq!(next(&mut socket).await["count"], 1);
        let overheard = tokio::time::timeout(Duration::from_millis(300), bystander.next()).await;
        assert!(overheard.is_err(), "another customer's socket hears nothing: {overheard:?}");
        env.state.notifications.mark_all_read(&support_caller(sari)).await.unwrap();
        assert_eq!(next(&mut socket).await["count"], 0, "reading elsewhere updates the badge");
        drop(socket);

        // Missed while away: sent first, oldest first, on the reconnect.
        let second = tell(&test, sari, 2).await;
        let third = tell(&test, sari, 3).await;
        let mut socket = connect(address, &format!("?after={first}"), &bearer).await.unwrap();
        assert_eq!(next(&mut socket).await["notification"]["id"].as_i64(), Some(second));
        assert_eq!(next(&mut socket).await["notification"]["id"].as_i64(), Some(third));
        assert_eq!(next(&mut socket).await["count"], 2);
    }

    async fn the_feed_closes_when_its_session_ends(test: TestDb) {
        let env = support::env(&test).await;
        env.customer(SARI, Language::En).await;
        let recheck_often = server::state::WebSettings { session_recheck: Duration::from_millis(100), ..support::web_settings() };
        let address = support::serve(support::router_with_web(env.state.clone(), recheck_often)).await;
        for end in ["log out everywhere", "suspension"] {
            let token = env.access_token(SARI).await;
            let mut socket = connect(address, "", &[("authorization", format!("Bearer {token}"))]).await.unwrap();
            assert_eq!(next(&mut socket).await["type"], "unread");
            let caller = env.state.accounts.authenticate(&token).await.unwrap();
            let client = domain::caller::ClientInfo::default();
            match end {
                "log out everywhere" => env.state.accounts.log_out_everywhere(&caller, &client).await.unwrap(),
                _ => {
                    let admin = support::admin_caller(&env.state).await;
                    env.state.accounts.set_suspended(&admin, caller.user_id, true, &client).await.unwrap();
                }
            }
            let frame = loop {
                match tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("closed within 5 s") {
                    Some(Ok(Message::Close(frame))) => break frame.expect("a close code"),
                    Some(Ok(_)) => {}
                    other => panic!("{end}: the socket ended without a close frame: {other:?}"),
                }
            };
            assert_eq!((u16::from(frame.code), frame.reason.as_str()), (4401, "signed out"), "{end}");
        }
    }

    async fn one_user_holds_a_bounded_number_of_feeds(test: TestDb) {
        let env = support::env(&test).await;
        env.customer(SARI, Language::En).await;
        env.customer(RINA, Language::En).await;
        let address = support::serve(env.router.clone()).await;
        let sari = [("authorization", format!("Bearer {}", env.access_token(SARI).await))];
        let mut open = Vec::new();
        for _ in 0..server::live::SOCKETS_PER_USER {
            open.push(connect(address, "", &sari).await.unwrap());
        }
        let refused = connect(address, "", &sari).await.unwrap_err();
        assert!(matches!(&refused, WsError::Http(answer) if answer.status() == 429), "{refused}");
        let rina = [("authorization", format!("Bearer {}", env.access_token(RINA).await))];
        connect(address, "", &rina).await.expect("another user is not held back");
        // A closed tab frees its place.
        let mut closing = open.pop().unwrap();
        closing.close(None).await.unwrap();
        while closing.next().await.is_some() {}
        let mut again = None;
        for _ in 0..50 {
            if let Ok(socket) = connect(address, "", &sari).await {
                again = Some(socket);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(again.is_some(), "the freed place is taken again");
    }

    async fn another_sites_page_cannot_open_the_socket_with_the_users_cookies(test: TestDb) {
        let env = support::env(&test).await;
        env.customer(SARI, Language::En).await;
        let cookies = env.session_cookies(SARI).await;
        let address = support::serve(env.router.clone()).await;
        let foreign = [("cookie", cookies.clone()), ("origin", "https://evil.example".to_owned())];
        let refused = connect(address, "", &foreign).await.unwrap_err();
        assert!(matches!(&refused, WsError::Http(answer) if answer.status() == 403), "{refused}");
        let ours = [("cookie", cookies), ("origin", support::ORIGIN.to_owned())];
        let mut socket = connect(address, "", &ours).await.unwrap();
        assert_eq!(next(&mut socket).await["type"], "unread");
    }
}

fn support_caller(user_id: i64) -> domain::caller::Caller {
    domain::caller::Caller {
        user_id,
        session_id: 0,
        role: domain::accounts::Role::Customer,
        email_verified: true,
    }
}

/// On PostgreSQL a notification takes its id when inserted and another, inserted later with a
/// higher id, can commit first; the feed that sent the newer one still sends the older one
/// when it commits.
#[tokio::test]
async fn a_notification_committed_after_a_newer_one_is_still_heard() {
    let test = TestDb::postgres().await;
    let env = support::env(&test).await;
    env.customer(SARI, Language::En).await;
    let sari: i64 = db_run!(&test.db, |pool| {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(SARI)
            .fetch_one(pool)
            .await
    })
    .unwrap();
    let token = env.access_token(SARI).await;
    let address = support::serve(env.router.clone()).await;
    let bearer = [("authorization", format!("Bearer {token}"))];
    let mut socket = connect(address, "", &bearer).await.unwrap();
    assert_eq!(next(&mut socket).await["type"], "unread");

    let mut slow = test.db.begin().await.unwrap();
    let late = notify(
        &mut slow,
        sari,
        &Notice::payment_received(1, "INV-1", 50_000),
    )
    .await
    .unwrap();
    let early = tell(&test, sari, 2).await;
    assert!(early > late);
    assert_eq!(
        next_of(&mut socket, "notification").await["notification"]["id"].as_i64(),
        Some(early)
    );
    slow.commit().await.unwrap();
    assert_eq!(
        next_of(&mut socket, "notification").await["notification"]["id"].as_i64(),
        Some(late)
    );
    assert_eq!(next_of(&mut socket, "unread").await["count"], 2);
}

/// Two `server` processes on one PostgreSQL database and one Redis: an order placed through
/// one reaches, as a notification, a socket held by the other, and reading everything through
/// the first clears the badge on the second.
#[tokio::test]
async fn with_redis_what_one_server_process_commits_reaches_a_socket_on_another() {
    let redis_url =
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let test = TestDb::postgres().await;
    let plan_id = seed_customer_and_plan(&test, SARI).await;
    let (dir_one, dir_other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let shared = [("REDIS_URL", redis_url.as_str())];
    let one = ServerProcess::start(&test, dir_one.path(), &shared).await;
    let other = ServerProcess::start(&test, dir_other.path(), &shared).await;

    let token = one.log_in(SARI).await;
    let host = other.url.trim_start_matches("http://");
    let mut socket = connect(host, "", &[("authorization", format!("Bearer {token}"))])
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["type"], "unread");

    let order = serde_json::json!({
        "plan_id": plan_id,
        "region": "sbx-jkt1",
        "image": "ubuntu-24-04-x64",
        "hostname": "web-1",
        "period_months": 1,
    });
    let (status, placed) = one
        .call("POST", "/api/v1/orders", Some(&token), Some(order))
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{placed}");
    let heard = next_of(&mut socket, "notification").await;
    assert_eq!(
        heard["notification"]["event"],
        "order_placed",
        "{}",
        other.log_tail()
    );
    assert_eq!(
        heard["notification"]["link"],
        format!("/orders/{}", placed["order"]["id"])
    );
    assert!(next_of(&mut socket, "unread").await["count"].as_i64() > Some(0));

    let (status, _) = one
        .call("POST", "/api/v1/notifications/read-all", Some(&token), None)
        .await;
    assert!(status.is_success());
    loop {
        if next_of(&mut socket, "unread").await["count"] == 0 {
            break;
        }
    }
}

/// The next message of `kind`, skipping others.
async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let message = next(socket).await;
        if message["type"] == kind {
            return message;
        }
    }
}
