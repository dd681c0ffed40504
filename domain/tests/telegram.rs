//! Telegram against a local mock of the Bot API (its documented `sendMessage` answers: ok,
//! 429 with `retry_after`, 403 blocked, 5xx), on both databases: linking by a one-time deep
//! link, one message per notification however often the job runs, waiting out flood control,
//! unlinking a chat that blocked the bot, and nothing lost while Telegram is down.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::accounts::Role;

use domain::caller::Caller;
use domain::error::{Code, ErrorCode};
use domain::jobs::Registry;
use domain::notifications::telegram::TelegramBot;
use domain::notifications::{self, Notice};
use domain::testing::{TestDb, drain};
use domain::{AppState, DomainConfig, both_backends, db_run};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "123456:test-token";
const CHAT: i64 = 4242;

struct Env {
    state: AppState,
    jobs: Registry,
    sari: Caller,
    telegram: MockServer,
}

async fn env(test: &TestDb) -> Env {
    let telegram = MockServer::start().await;
    let config = DomainConfig {
        public_url: "https://panel.webrana.test".into(),
        telegram: Some(TelegramBot::new(
            &telegram.uri(),
            TOKEN.into(),
            "@WebranaBot".into(),
            "hook-secret".into(),
        )),
        ..Default::default()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let sari = state
        .accounts
        .create_admin("sari@webrana.test", "Sari", "ruang-server-aman-2")
        .await
        .unwrap();
    let jobs = notifications::worker::register(Registry::default(), state.notifications.clone());
    Env {
        state,
        jobs,
        sari: Caller {
            user_id: sari.id,
            session_id: 0,
            role: Role::Customer,
            email_verified: true,
        },
        telegram,
    }
}

fn send_path() -> String {
    format!("/bot{TOKEN}/sendMessage")
}

fn answer_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": { "message_id": 1, "date": 1_700_000_000, "chat": { "id": CHAT, "type": "private" } } }))
}

/// The `sendMessage` bodies the mock received.
async fn sent(env: &Env) -> Vec<Value> {
    env.telegram
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.url.path() == send_path())
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect()
}

fn update(text: &str) -> Value {
    json!({ "update_id": 1, "message": { "message_id": 9, "date": 1_700_000_000, "text": text, "chat": { "id": CHAT, "type": "private" }, "from": { "id": CHAT, "is_bot": false, "first_name": "Sari" } } })
}

async fn link(env: &Env) {
    let url = env
        .state
        .notifications
        .telegram_link(&env.sari)
        .await
        .unwrap();
    let token = url
        .strip_prefix("https://t.me/WebranaBot?start=")
        .expect("a deep link to the bot");
    env.state
        .notifications
        .telegram_update(&update(&format!("/start {token}")))
        .await
        .unwrap();
}

async fn tell(test: &TestDb, env: &Env) -> i64 {
    let mut tx = test.db.begin().await.unwrap();
    let id = notifications::notify(
        &mut tx,
        env.sari.user_id,
        &Notice::payment_received(7, "INV-202611-00007", 83_250),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

both_backends! {
    async fn a_chat_is_linked_by_its_one_time_deep_link_and_unlinked_by_stop(test: TestDb) {
        let env = env(&test).await;
        Mock::given(method("POST")).and(path(send_path())).respond_with(answer_ok()).mount(&env.telegram).await;
        assert!(env.state.notifications.telegram_status(&env.sari).await.unwrap().linked_at.is_none());
        let url = env.state.notifications.telegram_link(&env.sari).await.unwrap();
        let token = url.rsplit('=').next().unwrap().to_owned();
        assert!(token.len() <= 64 && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "Telegram's start parameter alphabet");
        env.state.notifications.telegram_update(&update(&format!("/start {token}"))).await.unwrap();
        let status = env.state.notifications.telegram_status(&env.sari).await.unwrap();
        assert!(status.available && status.linked_at.is_some());
        assert!(sent(&env).await[0]["text"].as_str().unwrap().contains("linked"));

        // The token works once.
        env.state.notifications.telegram_update(&update("/stop")).await.unwrap();
        env.state.notifications.telegram_update(&update(&format!("/start {token}"))).await.unwrap();
        assert!(env.state.notifications.telegram_status(&env.sari).await.unwrap().linked_at.is_none());
        assert!(sent(&env).await.last().unwrap()["text"].as_str().unwrap().contains("expired"));
    }

    async fn each_notification_is_sent_once_with_flood_control_waited_out(test: TestDb) {
        let env = env(&test).await;
        Mock::given(method("POST")).and(path(send_path())).respond_with(answer_ok()).up_to_n_times(1).mount(&env.telegram).await;
        link(&env).await;
        Mock::given(method("POST"))
            .and(path(send_path()))
            .respond_with(ResponseTemplate::new(429).set_body_json(json!({ "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3", "parameters": { "retry_after": 3 } })))
            .up_to_n_times(1)
            .mount(&env.telegram)
            .await;
        Mock::given(method("POST")).and(path(send_path())).respond_with(answer_ok()).mount(&env.telegram).await;
        tell(&test, &env).await;
        drain(&test.db, &env.jobs).await;
        let messages = sent(&env).await;
        assert_eq!(messages.len(), 3, "the link's welcome, the refused try, the delivered one");
        let delivered = &messages[2];
        assert_eq!((delivered["chat_id"].as_i64(), delivered["parse_mode"].as_str()), (Some(CHAT), Some("HTML")));
        let text = delivered["text"].as_str().unwrap();
        assert!(text.starts_with("<b>Pembayaran diterima</b>"), "{text}");
        assert!(text.ends_with("https://panel.webrana.test/invoices/7"), "{text}");
        drain(&test.db, &env.jobs).await;
        assert_eq!(sent(&env).await.len(), 3, "never sent twice");
    }

    async fn a_chat_that_blocked_the_bot_is_unlinked_and_an_outage_loses_nothing(test: TestDb) {
        let env = env(&test).await;
        Mock::given(method("POST")).and(path(send_path())).respond_with(answer_ok()).up_to_n_times(1).mount(&env.telegram).await;
        link(&env).await;
        Mock::given(method("POST"))
            .and(path(send_path()))
            .respond_with(ResponseTemplate::new(502).set_body_json(json!({ "ok": false, "error_code": 502, "description": "Bad Gateway" })))
            .up_to_n_times(2)
            .mount(&env.telegram)
            .await;
        Mock::given(method("POST"))
            .and(path(send_path()))
            .respond_with(ResponseTemplate::new(403).set_body_json(json!({ "ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user" })))
            .mount(&env.telegram)
            .await;
        let first = tell(&test, &env).await;
        drain(&test.db, &env.jobs).await;
        // The retries back off beyond a minute: time passes.
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE state = 'queued'").bind(chrono::Utc::now()).execute(pool).await.map(|_| ())
        })
        .unwrap();
        drain(&test.db, &env.jobs).await;
        // Down twice, then the user had blocked the bot: tried until Telegram answered, then
        // unlinked; later notifications do not try at all.
        assert_eq!(sent(&env).await.len(), 4);
        assert!(env.state.notifications.telegram_status(&env.sari).await.unwrap().linked_at.is_none());
        let unsent: Option<chrono::DateTime<chrono::Utc>> = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT telegram_sent_at FROM notifications WHERE id = $1").bind(first).fetch_one(pool).await
        })
        .unwrap();
        assert!(unsent.is_none());
        tell(&test, &env).await;
        drain(&test.db, &env.jobs).await;
        assert_eq!(sent(&env).await.len(), 4);
        let failed: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state IN ('failed', 'dead')").fetch_one(pool).await
        })
        .unwrap();
        assert_eq!(failed, 0);
    }

    async fn without_a_bot_linking_is_refused_clearly(test: TestDb) {
        let state = AppState::new(test.db.clone(), &DomainConfig::default()).await.unwrap();
        let sari = state.accounts.create_admin("sari@webrana.test", "Sari", "ruang-server-aman-2").await.unwrap();
        let sari = Caller { user_id: sari.id, session_id: 0, role: Role::Customer, email_verified: true };
        assert!(!state.notifications.telegram_status(&sari).await.unwrap().available);
        assert_eq!(state.notifications.telegram_link(&sari).await.unwrap_err().code(), Code::TelegramUnavailable);
    }
}
