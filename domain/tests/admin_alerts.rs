//! Admins are told when something needs a person, on both databases: a job that gave up, a
//! refused payment callback (held to one notice per window however many come, from however
//! many nodes) and money that must go back; every active admin, no customer, each on the
//! channels they chose, Telegram included (against a local mock of the Bot API).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use domain::accounts::Role;
use domain::billing::payments::CallbackError;
use domain::billing::refusals::Refusal;
use domain::billing::{self, tripay};
use domain::caller::{Caller, ClientInfo};
use domain::console::sandbox_screen::SandboxScreens;
use domain::jobs::{self, Registry};
use domain::notifications::telegram::TelegramBot;
use domain::notifications::{self, Category, Channel, InAppNotification, alerts};
use domain::orders::OrderRequest;
use domain::providers::Providers;
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::testing::{TestDb, drain, sandbox_plan_input};
use domain::{AppState, DomainConfig, both_backends, db_run, instances, orders};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "123456:test-token";
const CHAT: i64 = 4242;

struct Env {
    state: AppState,
    jobs: Registry,
    /// Reads English.
    root: Caller,
    /// Reads Bahasa Indonesia.
    budi: Caller,
    sari: Caller,
    plan_id: i64,
    telegram: MockServer,
}

fn caller(user_id: i64, role: Role) -> Caller {
    Caller {
        user_id,
        session_id: 0,
        role,
        email_verified: true,
    }
}

async fn set_user(test: &TestDb, id: i64, role: &str, language: &str) {
    db_run!(&test.db, |pool| {
        sqlx::query("UPDATE users SET role = $1, language = $2 WHERE id = $3")
            .bind(role)
            .bind(language)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
}

async fn env(test: &TestDb) -> Env {
    let telegram = MockServer::start().await;
    let answer_ok = ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "result": { "message_id": 1, "date": 1_700_000_000, "chat": { "id": CHAT, "type": "private" } } }));
    Mock::given(method("POST"))
        .and(path(format!("/bot{TOKEN}/sendMessage")))
        .respond_with(answer_ok)
        .mount(&telegram)
        .await;
    let sandbox = SandboxProvider::new(
        test.db.clone(),
        SandboxTiming {
            create: StdDuration::ZERO,
            action: StdDuration::ZERO,
        },
        SandboxScreens::default(),
    );
    let config = DomainConfig {
        providers: Providers::default().with(Arc::new(sandbox)),
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
    let mut users = Vec::new();
    for (email, name, role, language) in [
        ("root@webrana.test", "Root", "admin", "en"),
        ("budi@webrana.test", "Budi", "admin", "id"),
        ("sari@webrana.test", "Sari", "customer", "en"),
    ] {
        let user = state
            .accounts
            .create_admin(email, name, "ruang-server-aman-1")
            .await
            .unwrap();
        set_user(test, user.id, role, language).await;
        users.push(user.id);
    }
    let root = caller(users[0], Role::Admin);
    state.catalog.sync_provider("sandbox").await.unwrap();
    let plan = state
        .catalog
        .create_plan(
            &root,
            &ClientInfo::default(),
            &sandbox_plan_input("Nano", &["sbx-jkt1"], &["ubuntu-24-04-x64"]),
        )
        .await
        .unwrap();
    let jobs = instances::worker::register(Registry::default(), state.instances.clone());
    let jobs = orders::worker::register(jobs, state.orders.clone(), state.instances.clone());
    let jobs = billing::worker::register(jobs, state.billing.clone());
    let jobs = notifications::worker::register(jobs, state.notifications.clone());
    Env {
        state,
        jobs,
        root,
        budi: caller(users[1], Role::Admin),
        sari: caller(users[2], Role::Customer),
        plan_id: plan.id,
        telegram,
    }
}

/// `who`'s in-app notifications of `event`, newest first.
async fn notices(env: &Env, who: &Caller, event: &str) -> Vec<InAppNotification> {
    let page = env
        .state
        .notifications
        .list(who, false, None, 100)
        .await
        .unwrap();
    page.items
        .into_iter()
        .filter(|item| item.event == event)
        .collect()
}

/// The subjects of the e-mails to `address`, without the sender's name they all end with.
async fn subjects(test: &TestDb, address: &str) -> Vec<String> {
    domain::mail::list(&test.db, None, 100, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|email| email.to_address == address)
        .map(|email| {
            email
                .subject
                .strip_suffix(" · Webrana Cloud")
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// The texts of the messages the Telegram mock was asked to send.
async fn telegram_texts(env: &Env) -> Vec<String> {
    env.telegram
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.url.path().ends_with("/sendMessage"))
        .map(|request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            body["text"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn order(env: &Env, hostname: &str) -> OrderRequest {
    OrderRequest {
        plan_id: model::ids::PlanId(env.plan_id),
        region: "sbx-jkt1".into(),
        image: "ubuntu-24-04-x64".into(),
        hostname: hostname.into(),
        period_months: 1,
        ssh_key_ids: Vec::new(),
        coupon: None,
    }
}

/// A callback in Tripay's shape for `reference`, signed with `key`, delivered.
async fn deliver_paid(
    env: &Env,
    key: &str,
    reference: &str,
    invoice: &str,
    total: i64,
) -> Result<(), CallbackError> {
    let body = json!({
        "reference": reference,
        "merchant_ref": invoice,
        "payment_method": "QRIS",
        "payment_method_code": "QRIS",
        "total_amount": total,
        "fee_merchant": 0,
        "fee_customer": 0,
        "total_fee": 0,
        "amount_received": total,
        "is_closed_payment": 1,
        "status": "PAID",
        "paid_at": Utc::now().timestamp(),
        "note": null,
    })
    .to_string();
    let signature = tripay::callback_signature(key, body.as_bytes());
    env.state
        .billing
        .apply_callback(
            body.as_bytes(),
            Some(&signature),
            Some("payment_status"),
            Some("198.51.100.4"),
        )
        .await
}

/// A refusal record as another node (or this one a minute later) writes it: `refused` bad
/// signatures, recorded and told in one transaction.
async fn record_refusals(test: &TestDb, refused: u64) {
    let mut tx = test.db.begin().await.unwrap();
    alerts::callback_refused(&mut tx, "sandbox", Refusal::BadSignature, refused)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn summary_jobs(test: &TestDb) -> Vec<jobs::Job> {
    jobs::list(&test.db, None, Some(alerts::SUMMARY_JOB), 10)
        .await
        .unwrap()
}

/// Half an hour passes for the bad-signature window: it was told, and its summary is due, that
/// much earlier.
async fn end_the_window(test: &TestDb) {
    db_run!(&test.db, |pool| async move {
        let earlier = Duration::minutes(31);
        let windows: Vec<(String, chrono::DateTime<Utc>)> =
            sqlx::query_as("SELECT alert, notified_at FROM admin_alert_windows")
                .fetch_all(pool)
                .await?;
        for (alert, notified_at) in windows {
            sqlx::query("UPDATE admin_alert_windows SET notified_at = $1 WHERE alert = $2")
                .bind(notified_at - earlier)
                .bind(alert)
                .execute(pool)
                .await?;
        }
        sqlx::query("UPDATE jobs SET run_at = $1 WHERE kind = $2 AND state = 'queued'")
            .bind(Utc::now())
            .bind(alerts::SUMMARY_JOB)
            .execute(pool)
            .await
            .map(|_| ())
    }
    .await)
    .unwrap();
}

both_backends! {
    async fn a_job_that_gives_up_tells_every_admin_and_no_customer(test: TestDb) {
        let env = env(&test).await;
        let failing = env.jobs.clone().on("always_fails", |_job| async {
            Err::<(), _>("HTTP 500 from the provider:\n<html>the disk is full</html>".to_owned())
        });
        let mut tx = test.db.begin().await.unwrap();
        let job_id = jobs::enqueue(&mut tx, "always_fails", &json!({}), Utc::now(), 1).await.unwrap();
        tx.commit().await.unwrap();
        drain(&test.db, &failing).await;

        let told = notices(&env, &env.root, "admin_job_dead").await;
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].title, format!("Job always_fails #{job_id} gave up"));
        assert!(told[0].body.contains("HTTP 500 from the provider: <html>the disk is full</html>"), "{}", told[0].body);
        assert_eq!(told[0].link.as_deref(), Some("/admin/jobs?state=dead&kind=always_fails"));
        assert_eq!(told[0].category, Category::Admin);
        let budis = notices(&env, &env.budi, "admin_job_dead").await;
        assert_eq!(budis[0].title, format!("Tugas always_fails #{job_id} berhenti"), "in Budi's language");
        let sari = env.state.notifications.list(&env.sari, false, None, 100).await.unwrap();
        assert!(sari.items.is_empty(), "no customer hears of it: {:?}", sari.items);
        // By e-mail too, with a link to the jobs page.
        assert_eq!(subjects(&test, "root@webrana.test").await, [format!("Job always_fails #{job_id} gave up")]);
        assert_eq!(subjects(&test, "budi@webrana.test").await.len(), 1);
        assert!(subjects(&test, "sari@webrana.test").await.is_empty());
    }

    async fn forged_callbacks_tell_the_admins_once_per_window_with_a_count(test: TestDb) {
        let env = env(&test).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap();
        let payment = env.state.billing.pay(&env.sari, placed.invoice.id, "QRIS").await.unwrap();
        let body = json!({ "reference": payment.reference, "merchant_ref": placed.invoice.number, "status": "PAID", "total_amount": placed.invoice.total }).to_string();
        // A flood from two addresses: refused, the first sender cut off after its allowance.
        for ip in ["203.0.113.66", "203.0.113.67"] {
            for _ in 0..30 {
                let refused = env.state.billing.apply_callback(body.as_bytes(), Some("f00dfeed"), Some("payment_status"), Some(ip)).await.unwrap_err();
                assert!(matches!(refused, CallbackError::BadSignature | CallbackError::TooMany), "{refused:?}");
            }
        }
        drain(&test.db, &env.jobs).await;
        for admin in [&env.root, &env.budi] {
            let told = notices(&env, admin, "admin_payment_callback_refused").await;
            assert_eq!(told.len(), 1, "one notice for the flood: {told:?}");
            assert_eq!(told[0].link.as_deref(), Some("/admin/audit?action=payment_callback_bad_signature"));
            for secret in ["f00dfeed", payment.reference.as_str(), "203.0.113"] {
                assert!(!told[0].body.contains(secret) && !told[0].title.contains(secret), "{secret} in {told:?}");
            }
        }
        let root = &notices(&env, &env.root, "admin_payment_callback_refused").await[0];
        assert_eq!(root.title, "Payment callbacks refused: bad signature");
        assert!(root.body.starts_with("A sandbox callback was refused."), "{}", root.body);
        assert!(env.state.notifications.list(&env.sari, false, None, 100).await.unwrap().items.iter().all(|item| item.category != Category::Admin));
        let refusal_mails = |subjects: Vec<String>| subjects.into_iter().filter(|subject| subject.starts_with("Payment callbacks refused")).count();
        assert_eq!(refusal_mails(subjects(&test, "root@webrana.test").await), 1);

        // Other nodes, and this one each minute, keep recording refusals: counted, not told,
        // and one summary job waits for the end of the window.
        for _ in 0..3 {
            record_refusals(&test, 5).await;
        }
        assert_eq!(notices(&env, &env.root, "admin_payment_callback_refused").await.len(), 1);
        let queued = summary_jobs(&test).await;
        assert_eq!(queued.len(), 1, "{queued:?}");
        assert!(queued[0].run_at > Utc::now() + Duration::minutes(29), "{queued:?}");
        drain(&test.db, &env.jobs).await;
        assert_eq!(notices(&env, &env.root, "admin_payment_callback_refused").await.len(), 1, "not before the window ends");

        // A correctly signed callback that does not match is another matter: told at once.
        let key = billing::sandbox_private_key(&test.db).await.unwrap();
        let short = deliver_paid(&env, &key, &payment.reference, &placed.invoice.number, placed.invoice.total - 1).await;
        assert!(matches!(short, Err(CallbackError::Mismatch)), "{short:?}");
        let mismatch = notices(&env, &env.budi, "admin_payment_callback_refused").await;
        assert_eq!(mismatch.len(), 2);
        assert_eq!(mismatch[0].title, "Callback pembayaran ditolak: tagihan atau jumlah tidak cocok");

        // Half an hour on, the summary tells what was held back, once.
        end_the_window(&test).await;
        drain(&test.db, &env.jobs).await;
        let told = notices(&env, &env.root, "admin_payment_callback_refused").await;
        assert_eq!(told.len(), 3, "{told:?}");
        assert!(told[0].body.starts_with("15 sandbox callbacks were refused since the last notice."), "{}", told[0].body);
        let budis = &notices(&env, &env.budi, "admin_payment_callback_refused").await[0];
        assert!(budis.body.starts_with("15 callback sandbox ditolak sejak pemberitahuan terakhir."), "{}", budis.body);
        assert_eq!(refusal_mails(subjects(&test, "root@webrana.test").await), 3);
        assert_eq!(summary_jobs(&test).await.iter().filter(|job| job.state == jobs::JobState::Queued).count(), 0);
        drain(&test.db, &env.jobs).await;
        assert_eq!(notices(&env, &env.root, "admin_payment_callback_refused").await.len(), 3, "told once");

        // The next refusal falls in the new window: held back, with a summary of its own.
        record_refusals(&test, 1).await;
        assert_eq!(notices(&env, &env.root, "admin_payment_callback_refused").await.len(), 3);
        assert_eq!(summary_jobs(&test).await.iter().filter(|job| job.state == jobs::JobState::Queued).count(), 1);
    }

    async fn a_summary_job_that_runs_late_waits_for_the_window_it_finds(test: TestDb) {
        let env = env(&test).await;
        record_refusals(&test, 1).await;
        record_refusals(&test, 2).await;
        assert_eq!(summary_jobs(&test).await.len(), 1);
        // The worker was busy past the window's end; a refusal in the meantime was told at
        // once, with what the summary held.
        end_the_window(&test).await;
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE kind = $2").bind(Utc::now() + Duration::hours(1)).bind(alerts::SUMMARY_JOB).execute(pool).await.map(|_| ())
        })
        .unwrap();
        record_refusals(&test, 4).await;
        let told = notices(&env, &env.root, "admin_payment_callback_refused").await;
        assert_eq!(told.len(), 2);
        assert!(told[0].body.starts_with("6 sandbox callbacks"), "{}", told[0].body);
        record_refusals(&test, 1).await;
        assert_eq!(summary_jobs(&test).await.len(), 1, "still one summary job");
        // The late job finds the new window open: it waits for its end and tells nothing yet.
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE kind = $2").bind(Utc::now()).bind(alerts::SUMMARY_JOB).execute(pool).await.map(|_| ())
        })
        .unwrap();
        drain(&test.db, &env.jobs).await;
        assert_eq!(notices(&env, &env.root, "admin_payment_callback_refused").await.len(), 2);
        let waiting = summary_jobs(&test).await;
        assert_eq!((waiting.len(), waiting[0].state), (1, jobs::JobState::Queued));
        assert!(waiting[0].run_at > Utc::now() + Duration::minutes(29), "{waiting:?}");
    }

    async fn money_for_a_settled_invoice_tells_the_admins_to_refund_it_once(test: TestDb) {
        let env = env(&test).await;
        let key = billing::sandbox_private_key(&test.db).await.unwrap();
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap();
        let invoice = &placed.invoice;
        let qris = env.state.billing.pay(&env.sari, invoice.id, "QRIS").await.unwrap();
        let briva = env.state.billing.pay(&env.sari, invoice.id, "BRIVA").await.unwrap();
        deliver_paid(&env, &key, &qris.reference, &invoice.number, invoice.total).await.unwrap();
        assert!(notices(&env, &env.root, "admin_payment_needs_refund").await.is_empty(), "the first payment settles it");
        // The customer paid through the second channel too, and Tripay repeats callbacks.
        for _ in 0..3 {
            deliver_paid(&env, &key, &briva.reference, &invoice.number, invoice.total).await.unwrap();
        }
        drain(&test.db, &env.jobs).await;
        for admin in [&env.root, &env.budi] {
            let told = notices(&env, admin, "admin_payment_needs_refund").await;
            assert_eq!(told.len(), 1, "once however often the callback comes: {told:?}");
            assert_eq!(told[0].link.as_deref(), Some(format!("/admin/orders/{}", placed.order.id).as_str()));
        }
        let root = &notices(&env, &env.root, "admin_payment_needs_refund").await[0];
        assert_eq!(root.title, format!("Refund needed: {}", invoice.number));
        let amount = model::Rupiah(invoice.total).to_string();
        assert_eq!(
            root.body,
            format!("{amount} came in through sandbox (BRIVA) for invoice {}, which was already settled or closed. Send it back to the customer.", invoice.number)
        );
        let budi = &notices(&env, &env.budi, "admin_payment_needs_refund").await[0];
        assert!(budi.body.starts_with(&format!("{amount} masuk lewat sandbox (BRIVA)")), "{}", budi.body);
        assert!(notices(&env, &env.sari, "admin_payment_needs_refund").await.is_empty());
        assert!(subjects(&test, "root@webrana.test").await.contains(&format!("Refund needed: {}", invoice.number)));
    }

    async fn each_admin_is_told_on_the_channels_they_chose(test: TestDb) {
        let env = env(&test).await;
        // Root follows admin news on Telegram only; Budi by e-mail only, nothing in the app.
        let link = env.state.notifications.telegram_link(&env.root).await.unwrap();
        let start = link.strip_prefix("https://t.me/WebranaBot?start=").unwrap();
        let update = json!({ "update_id": 1, "message": { "message_id": 9, "date": 1_700_000_000, "text": format!("/start {start}"), "chat": { "id": CHAT, "type": "private" }, "from": { "id": CHAT, "is_bot": false, "first_name": "Root" } } });
        env.state.notifications.telegram_update(&update).await.unwrap();
        let preferences = &env.state.notifications;
        preferences.set_preference(&env.root, Category::Admin, Channel::Email, false).await.unwrap();
        preferences.set_preference(&env.budi, Category::Admin, Channel::InApp, false).await.unwrap();

        let refused = env.state.billing.apply_callback(b"garbage", None, Some("payment_status"), Some("203.0.113.66")).await.unwrap_err();
        assert!(matches!(refused, CallbackError::BadSignature));
        drain(&test.db, &env.jobs).await;

        let sent = telegram_texts(&env).await;
        assert_eq!(sent.len(), 2, "the link's welcome and the notice: {sent:?}");
        assert!(sent[1].starts_with("<b>Payment callbacks refused: bad signature</b>"), "{}", sent[1]);
        assert!(sent[1].ends_with("https://panel.webrana.test/admin/audit?action=payment_callback_bad_signature"), "{}", sent[1]);
        assert!(subjects(&test, "root@webrana.test").await.is_empty(), "Root turned e-mail off");
        assert_eq!(notices(&env, &env.root, "admin_payment_callback_refused").await.len(), 1);
        assert_eq!(subjects(&test, "budi@webrana.test").await, ["Callback pembayaran ditolak: tanda tangan tidak valid"]);
        assert!(notices(&env, &env.budi, "admin_payment_callback_refused").await.is_empty(), "Budi turned the app off");
    }
}
