//! Notifications on both databases: the events of an order's life reach its customer (and the
//! admins) in the customer's language, in the transaction of the change; the e-mail job queues
//! one e-mail per notification however often it runs; preferences choose the channels;
//! customers read only their own.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration as StdDuration;

use domain::accounts::Role;

use domain::caller::{Caller, ClientInfo};
use domain::console::sandbox_screen::SandboxScreens;
use domain::db::Committed;
use domain::error::{Code, ErrorCode};
use domain::jobs::{self, Registry};
use domain::notifications::{Category, Channel};
use domain::orders::OrderRequest;
use domain::providers::Providers;
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::testing::{TestDb, drain, sandbox_plan_input};
use domain::{AppState, DomainConfig, both_backends, db_run, instances, notifications, orders};

struct Env {
    state: AppState,
    jobs: Registry,
    admin: Caller,
    sari: Caller,
    plan_id: i64,
}

fn caller(user_id: i64, role: Role) -> Caller {
    Caller {
        user_id,
        session_id: 0,
        role,
        email_verified: true,
    }
}

async fn env(test: &TestDb) -> Env {
    let timing = SandboxTiming {
        create: StdDuration::ZERO,
        action: StdDuration::ZERO,
    };
    let config = DomainConfig {
        providers: Providers::default().with(Arc::new(SandboxProvider::new(
            test.db.clone(),
            timing,
            SandboxScreens::default(),
        ))),
        public_url: "https://panel.webrana.test".into(),
        ..Default::default()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let admin = state
        .accounts
        .create_admin("root@webrana.test", "Root", "ruang-server-aman-1")
        .await
        .unwrap();
    let sari = state
        .accounts
        .create_admin("sari@webrana.test", "Sari", "ruang-server-aman-2")
        .await
        .unwrap();
    // Sari is a customer who reads English.
    db_run!(&test.db, |pool| {
        sqlx::query("UPDATE users SET role = 'customer', language = 'en' WHERE id = $1")
            .bind(sari.id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
    let admin = caller(admin.id, Role::Admin);
    state.catalog.sync_provider("sandbox").await.unwrap();
    let client = ClientInfo {
        ip: "203.0.113.9".into(),
        user_agent: "test".into(),
    };
    let plan = sandbox_plan_input("Nano", &["sbx-jkt1"], &["ubuntu-24-04-x64"]);
    let plan = state
        .catalog
        .create_plan(&admin, &client, &plan)
        .await
        .unwrap();
    let jobs = instances::worker::register(Registry::default(), state.instances.clone());
    let jobs = orders::worker::register(jobs, state.orders.clone(), state.instances.clone());
    let jobs = notifications::worker::register(jobs, state.notifications.clone());
    Env {
        state,
        jobs,
        admin,
        sari: caller(sari.id, Role::Customer),
        plan_id: plan.id,
    }
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

async fn events_of(env: &Env, who: &Caller) -> Vec<String> {
    let page = env
        .state
        .notifications
        .list(who, false, None, 100)
        .await
        .unwrap();
    page.items
        .into_iter()
        .rev()
        .map(|item| item.event)
        .collect()
}

both_backends! {
    async fn an_orders_life_reaches_its_customer_and_the_admins(test: TestDb) {
        let env = env(&test).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap();
        env.state.billing.mark_paid(&env.admin, placed.invoice.id, "BCA transfer").await.unwrap();
        drain(&test.db, &env.jobs).await;

        assert_eq!(
            events_of(&env, &env.sari).await,
            ["order_placed", "payment_received", "provisioning_started", "server_ready"]
        );
        assert_eq!(events_of(&env, &env.admin).await, ["admin_new_order", "admin_payment_received"]);
        let page = env.state.notifications.list(&env.sari, false, None, 100).await.unwrap();
        let ready = &page.items[0];
        assert_eq!(ready.title, "Server web-1 is ready");
        assert!(ready.body.starts_with("Your server is running at "), "{}", ready.body);
        assert!(ready.link.as_deref().unwrap().starts_with("/servers/"));
        assert_eq!(page.unread, 4);

        // One e-mail per notification, in the reader's language, with an absolute link; the
        // job run again queues nothing more.
        let emails = domain::mail::list(&test.db, None, 50, 0).await.unwrap();
        let to_sari: Vec<_> = emails.iter().filter(|email| email.to_address == "sari@webrana.test").collect();
        assert_eq!(to_sari.len(), 4);
        let paid = to_sari.iter().find(|email| email.subject.starts_with("Payment received")).unwrap();
        assert!(paid.body_text.starts_with("Hello Sari,"));
        assert!(paid.body_text.contains(&format!("https://panel.webrana.test/invoices/{}", placed.invoice.id)));
        // The paid invoice goes with it as a PDF in her language; no other e-mail carries a file.
        let files = domain::mail::attachments(&test.db, paid.id).await.unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].filename, format!("{}.pdf", placed.invoice.number));
        assert_eq!(files[0].content_type, "application/pdf");
        let text = domain::testing::pdf_text(&files[0].content);
        for expected in ["INVOICE", placed.invoice.number.as_str(), "PAID", "Sari", "sari@webrana.test", "VAT (PPN) 11%", "Total"] {
            assert!(text.contains(expected), "{expected} missing from:\n{text}");
        }
        for email in to_sari.iter().filter(|email| email.id != paid.id) {
            assert!(domain::mail::attachments(&test.db, email.id).await.unwrap().is_empty(), "{}", email.subject);
        }
        let to_admin = emails.iter().filter(|email| email.to_address == "root@webrana.test").count();
        assert_eq!(to_admin, 2);
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE jobs SET state = 'queued', run_at = $1 WHERE kind = 'notification_email'")
                .bind(chrono::Utc::now())
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        drain(&test.db, &env.jobs).await;
        assert_eq!(domain::mail::list(&test.db, None, 50, 0).await.unwrap().len(), emails.len(), "no second copy");
    }

    async fn one_event_for_several_admins_is_one_email_job_and_an_email_each(test: TestDb) {
        let env = env(&test).await;
        let second = env.state.accounts.create_admin("budi@webrana.test", "Budi", "ruang-server-aman-3").await.unwrap();
        env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap();
        let email_jobs = jobs::list(&test.db, None, Some("notification_email"), 10).await.unwrap();
        // The customer's "order placed", and one job for both admins' "new order".
        assert_eq!(email_jobs.len(), 2, "{email_jobs:?}");
        let batch = email_jobs.iter().find(|job| job.payload.contains("notification_ids\":[")).unwrap();
        let ids: serde_json::Value = serde_json::from_str(&batch.payload).unwrap();
        assert_eq!(ids["notification_ids"].as_array().unwrap().len(), 2, "{}", batch.payload);
        drain(&test.db, &env.jobs).await;
        let emails = domain::mail::list(&test.db, None, 50, 0).await.unwrap();
        for admin in ["root@webrana.test", "budi@webrana.test"] {
            let subjects: Vec<_> = emails.iter().filter(|email| email.to_address == admin).map(|email| email.subject.as_str()).collect();
            assert_eq!(subjects.len(), 1, "{admin}: {subjects:?}");
        }
        assert_eq!(events_of(&env, &caller(second.id, Role::Admin)).await, ["admin_new_order"]);
    }

    async fn a_refused_change_notifies_nobody(test: TestDb) {
        let env = env(&test).await;
        env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap();
        let refused = env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap_err();
        assert_eq!(refused.code(), Code::HostnameTaken);
        assert_eq!(events_of(&env, &env.sari).await, ["order_placed"]);
    }

    async fn customers_read_and_mark_only_their_own(test: TestDb) {
        let env = env(&test).await;
        env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap();
        env.state.orders.place(&env.sari, order(&env, "web-2")).await.unwrap();
        let page = env.state.notifications.list(&env.sari, false, None, 1).await.unwrap();
        assert_eq!((page.items.len(), page.unread), (1, 2));
        let older = env.state.notifications.list(&env.sari, false, page.next_before, 1).await.unwrap();
        assert_eq!(older.items.len(), 1);
        assert_eq!(older.next_before, None, "the last page");
        assert_eq!(env.state.notifications.list(&env.sari, false, None, 0).await.unwrap_err().code(), Code::LimitInvalid);

        let mine = page.items[0].id;
        let admins = env.state.notifications.list(&env.admin, false, None, 10).await.unwrap().items[0].id;
        assert_eq!(env.state.notifications.mark_read(&env.sari, admins).await.unwrap_err().code(), Code::NotFound);
        env.state.notifications.mark_read(&env.sari, mine).await.unwrap();
        env.state.notifications.mark_read(&env.sari, mine).await.unwrap();
        assert_eq!(env.state.notifications.unread_count(&env.sari).await.unwrap(), 1);
        let unread = env.state.notifications.list(&env.sari, true, None, 10).await.unwrap();
        assert_eq!(unread.items.len(), 1);
        assert_eq!(env.state.notifications.mark_all_read(&env.sari).await.unwrap(), 1);
        assert_eq!(env.state.notifications.unread_count(&env.sari).await.unwrap(), 0);
        assert_eq!(env.state.notifications.unread_count(&env.admin).await.unwrap(), 2, "the admin's stay unread");
        let missed = env.state.notifications.since(&env.sari, 0).await.unwrap();
        assert_eq!(missed.len(), 2);
        assert!(missed[0].id < missed[1].id, "oldest first, to catch up in order");
    }

    async fn preferences_choose_the_channels_but_security_always_shows(test: TestDb) {
        let env = env(&test).await;
        let notifications = &env.state.notifications;
        let refused = notifications.set_preference(&env.sari, Category::Security, Channel::InApp, false).await.unwrap_err();
        assert_eq!(refused.code(), Code::SecurityInAppRequired);
        notifications.set_preference(&env.sari, Category::Billing, Channel::Email, false).await.unwrap();
        notifications.set_preference(&env.sari, Category::Billing, Channel::InApp, false).await.unwrap();
        let shown = notifications.preferences(&env.sari).await.unwrap();
        let billing_email = shown.iter().find(|p| p.category == Category::Billing && p.channel == Channel::Email).unwrap();
        assert!(!billing_email.enabled);
        let security = shown.iter().find(|p| p.category == Category::Security && p.channel == Channel::InApp).unwrap();
        assert!(security.enabled && security.locked);

        env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap();
        drain(&test.db, &env.jobs).await;
        assert!(events_of(&env, &env.sari).await.is_empty(), "billing is off in-app");
        let emails = domain::mail::list(&test.db, None, 50, 0).await.unwrap();
        assert!(emails.iter().all(|email| email.to_address != "sari@webrana.test"), "and by e-mail");
    }
}

both_backends! {
    async fn an_invoice_email_carries_the_invoice_and_a_way_to_pay_on_the_readers_clock(test: TestDb) {
        let env = env(&test).await;
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE users SET time_zone = 'Asia/Makassar' WHERE id = $1")
                .bind(env.sari.user_id)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap();
        drain(&test.db, &env.jobs).await;
        let sent = domain::mail::list(&test.db, Some("sari@webrana.test"), 50, 0).await.unwrap();
        let placed_mail = sent.iter().find(|email| email.subject.starts_with("Order web-1 placed")).unwrap();
        let invoice = &placed.invoice;
        let due = invoice.expires_at + chrono::Duration::hours(8);
        let pay_link = format!("https://panel.webrana.test/invoices/{}", invoice.id);
        for expected in [
            format!("Invoice {}", invoice.number),
            "Nano · web-1 (1 month)".to_owned(),
            "PPN 11 %".to_owned(),
            format!("Total: {}", model::Rupiah(invoice.total)),
            format!("Pay before {} WITA: {}", due.format("%Y-%m-%d %H:%M"), model::Rupiah(invoice.total)),
            pay_link.clone(),
        ] {
            assert!(placed_mail.body_text.contains(&expected), "{expected} missing from:\n{}", placed_mail.body_text);
        }
        // The HTML part escapes slashes in attributes, as minijinja does.
        let html = placed_mail.body_html.replace("&#x2f;", "/");
        assert!(html.contains(&format!("href=\"{pay_link}\"")), "{html}");
        assert!(placed_mail.body_html.contains(&format!("Pay {}", model::Rupiah(invoice.total))));
        assert!(domain::mail::attachments(&test.db, placed_mail.id).await.unwrap().is_empty(), "unpaid: no PDF");

        // Paid, the e-mail that says so shows the invoice without a way to pay, and its PDF.
        env.state.billing.mark_paid(&env.admin, invoice.id, "BCA transfer").await.unwrap();
        drain(&test.db, &env.jobs).await;
        let sent = domain::mail::list(&test.db, Some("sari@webrana.test"), 50, 0).await.unwrap();
        let paid_mail = sent.iter().find(|email| email.subject.starts_with("Payment received")).unwrap();
        assert!(paid_mail.body_text.contains("Nano · web-1 (1 month)"), "{}", paid_mail.body_text);
        assert!(!paid_mail.body_text.contains("Pay before"), "{}", paid_mail.body_text);
        assert_eq!(domain::mail::attachments(&test.db, paid_mail.id).await.unwrap().len(), 1);
    }
}

both_backends! {
    async fn listeners_hear_of_a_notification_once_it_commits_and_never_of_a_rollback(test: TestDb) {
        let env = env(&test).await;
        let mut feed = test.db.feed().subscribe();
        let mut tx = test.db.begin().await.unwrap();
        let id = notifications::notify(&mut tx, env.sari.user_id, &notifications::Notice::payment_expired(1, "INV-1")).await.unwrap();
        assert!(feed.try_recv().is_err(), "nothing before the commit");
        tx.commit().await.unwrap();
        assert_eq!(feed.try_recv().unwrap(), Committed::Notification { user_id: env.sari.user_id, id });

        let mut tx = test.db.begin().await.unwrap();
        notifications::notify(&mut tx, env.sari.user_id, &notifications::Notice::payment_expired(2, "INV-2")).await.unwrap();
        drop(tx);
        assert!(feed.try_recv().is_err(), "a rolled-back notification is never heard of");

        env.state.notifications.mark_all_read(&env.sari).await.unwrap();
        assert_eq!(feed.try_recv().unwrap(), Committed::NotificationsRead { user_id: env.sari.user_id });
    }
}

both_backends! {
    async fn a_customers_action_and_a_job_that_gives_up_are_told(test: TestDb) {
        let env = env(&test).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1")).await.unwrap();
        env.state.billing.mark_paid(&env.admin, placed.invoice.id, "BCA transfer").await.unwrap();
        drain(&test.db, &env.jobs).await;
        let server = env.state.orders.detail(&env.sari, placed.order.id).await.unwrap().order.instance_id.unwrap();
        let reboot = instances::ActionRequest { kind: domain::providers::ActionKind::Reboot, image: None, confirm: None };
        env.state.instances.request_action(&env.sari, server, reboot.clone()).await.unwrap();
        drain(&test.db, &env.jobs).await;
        let page = env.state.notifications.list(&env.sari, false, None, 1).await.unwrap();
        assert_eq!((page.items[0].event.as_str(), page.items[0].title.as_str()), ("action_done", "Reboot done: web-1"));
        assert_eq!(page.items[0].category, Category::Actions);
        let reboot_mails = || async {
            let sent = domain::mail::list(&test.db, Some("sari@webrana.test"), 50, 0).await.unwrap();
            sent.iter().filter(|email| email.subject.starts_with("Reboot done")).count()
        };
        assert_eq!(reboot_mails().await, 0, "the customer saw it on the page: no e-mail unless asked for");
        env.state.notifications.set_preference(&env.sari, Category::Actions, Channel::Email, true).await.unwrap();
        env.state.instances.request_action(&env.sari, server, reboot).await.unwrap();
        drain(&test.db, &env.jobs).await;
        assert_eq!(reboot_mails().await, 1, "asked for, it is e-mailed");

        let failing = env.jobs.clone().on("always_fails", |_job| async { Err::<(), _>("the disk is full".to_owned()) });
        let mut tx = test.db.begin().await.unwrap();
        domain::jobs::enqueue(&mut tx, "always_fails", &serde_json::json!({}), chrono::Utc::now(), 1).await.unwrap();
        tx.commit().await.unwrap();
        drain(&test.db, &failing).await;
        let admins = env.state.notifications.list(&env.admin, false, None, 1).await.unwrap();
        assert_eq!(admins.items[0].event, "admin_job_dead");
        assert!(admins.items[0].body.contains("the disk is full"), "{}", admins.items[0].body);
    }
}
