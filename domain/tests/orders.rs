#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Orders and their invoices on both databases, paid through the sandbox gateway's signed
//! callbacks and provisioned through the real job queue on the instant sandbox cloud: placing,
//! pricing, gapless invoice numbers under concurrency, coupons and their limits, a free order
//! that settles at once, callbacks that are forged, replayed, out of order or for the wrong
//! amount, and an invoice that expires.

use chrono::{Duration, Utc};
use domain::accounts::Role;
use domain::billing::invoices::Invoice;
use domain::billing::payments::CallbackError;
use domain::billing::{self, tripay};
use domain::caller::{Caller, ClientInfo};
use domain::error::{Code, ErrorCode};
use domain::jobs;
use domain::orders::coupons::{self, CouponInput};
use domain::orders::pricing::CouponKind;
use domain::orders::{self, OrderFilter, OrderRequest};
use domain::testing::{TestDb, drain, sandbox_plan_input};
use domain::{Db, DomainConfig, both_backends, db_run, instances};

mod support;
use support::shop::{self, Shop, caller};

type Env = Shop;

async fn env(test: &TestDb) -> Env {
    shop::open(test, DomainConfig::default()).await
}

/// The coupon `GRATIS`: 100 % off the plan, for `max_uses` orders (any number when `None`).
async fn free_coupon(test: &TestDb, env: &Env, max_uses: Option<i64>) {
    let input = CouponInput {
        code: "gratis".into(),
        kind: CouponKind::Percent,
        amount: 100,
        valid_from: None,
        valid_until: None,
        max_uses,
        max_uses_per_customer: None,
        plan_ids: vec![env.plan_id],
        active: true,
    };
    coupons::save(&test.db, &env.admin, None, &input)
        .await
        .unwrap();
}

fn order(env: &Env, hostname: &str, months: i64, coupon: Option<&str>) -> OrderRequest {
    env.order(hostname, months, coupon)
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    db_run!(db, |pool| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

/// The sandbox gateway's key, as the checkout page signs with it.
async fn sandbox_key(db: &Db) -> String {
    billing::sandbox_private_key(db).await.unwrap()
}

/// A callback body in Tripay's shape; `total` given as a string, as Tripay sometimes does.
fn callback_body(reference: &str, invoice: &Invoice, total: i64, status: &str) -> Vec<u8> {
    serde_json::json!({
        "reference": reference,
        "merchant_ref": invoice.number,
        "payment_method": "QRIS",
        "payment_method_code": "QRIS",
        "total_amount": total.to_string(),
        "fee_merchant": 0,
        "fee_customer": "0",
        "total_fee": 0,
        "amount_received": total,
        "is_closed_payment": 1,
        "status": status,
        "paid_at": if status == "PAID" { Some(Utc::now().timestamp()) } else { None },
        "note": null,
    })
    .to_string()
    .into_bytes()
}

async fn deliver(env: &Env, body: &[u8], key: &str) -> Result<(), CallbackError> {
    let signature = tripay::callback_signature(key, body);
    env.state
        .billing
        .apply_callback(
            body,
            Some(&signature),
            Some("payment_status"),
            Some("198.51.100.4"),
        )
        .await
}

async fn order_status(env: &Env, order_id: i64) -> String {
    env.state
        .orders
        .detail(&env.admin, order_id)
        .await
        .unwrap()
        .order
        .status
}

both_backends! {
    async fn an_order_is_priced_invoiced_and_numbered(test: TestDb) {
        let env = env(&test).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "Web-1", 12, None)).await.unwrap();
        assert_eq!(placed.order.status.as_str(), "pending_payment");
        assert_eq!(placed.order.hostname, "web-1");
        let invoice = &placed.invoice;
        let month = Utc::now().format("%Y%m");
        assert_eq!(invoice.number, format!("INV-{month}-00001"));
        // 12 × 75 000 = 900 000, 15 % off for the year, PPN 11 % on 765 000.
        assert_eq!((invoice.subtotal, invoice.discount, invoice.tax, invoice.total), (900_000, 135_000, 84_150, 849_150));
        assert_eq!((invoice.status.as_str(), invoice.customer_name.as_str()), ("unpaid", "Sari Wulandari"));
        let view = env.state.billing.invoice(&env.sari, invoice.id).await.unwrap();
        assert_eq!(view.lines.iter().map(|line| line.amount).sum::<i64>() + invoice.tax, invoice.total);
        let quote = env.state.orders.quote(&env.sari, &order(&env, "web-2", 12, None)).await.unwrap();
        assert_eq!(quote.total, invoice.total, "the review step shows what the invoice bills");

        let second = env.state.orders.place(&env.sari, order(&env, "web-2", 1, None)).await.unwrap();
        assert_eq!(second.invoice.number, format!("INV-{month}-00002"));
        let detail = env.state.orders.detail(&env.sari, placed.order.id).await.unwrap();
        assert_eq!(detail.events.len(), 1);
        assert_eq!(detail.events[0].to_status, "pending_payment");
    }

    async fn refused_orders_change_nothing(test: TestDb) {
        let env = env(&test).await;
        env.state.orders.place(&env.sari, order(&env, "web-1", 1, None)).await.unwrap();
        let before = (count(&test.db, "orders").await, count(&test.db, "invoices").await, count(&test.db, "invoice_counters").await);
        let unverified = Caller { email_verified: false, ..env.sari.clone() };
        let cases = [
            (unverified, order(&env, "web-9", 1, None), Code::EmailNotVerified),
            (env.sari.clone(), order(&env, "web-9", 2, None), Code::PeriodInvalid),
            (env.sari.clone(), order(&env, "WEB-1", 1, None), Code::HostnameTaken),
            (env.sari.clone(), order(&env, "-bad-", 1, None), Code::HostnameInvalid),
            (env.sari.clone(), order(&env, "web-9", 1, Some("NOPE")), Code::CouponUnknown),
            (env.sari.clone(), OrderRequest { region: "sbx-nowhere".into(), ..order(&env, "web-9", 1, None) }, Code::RegionNotOffered),
        ];
        for (who, request, code) in cases {
            let refused = env.state.orders.place(&who, request).await.unwrap_err();
            assert_eq!(refused.code(), code, "{refused}");
        }
        // A taken host name is refused as it is typed and at the review, not only when placed.
        let quoted = env.state.orders.quote(&env.sari, &order(&env, "WEB-1", 1, None)).await.unwrap_err();
        assert_eq!(quoted.code(), Code::HostnameTaken);
        assert_eq!(env.state.orders.free_hostname(&env.sari, "WEB-1").await.unwrap_err().code(), Code::HostnameTaken);
        assert_eq!(env.state.orders.free_hostname(&env.sari, "-bad-").await.unwrap_err().code(), Code::HostnameInvalid);
        assert_eq!(env.state.orders.free_hostname(&env.sari, "Web-2").await.unwrap(), "web-2");
        // The form's live price needs only the plan, the period and the coupon, and is the
        // review's price once the rest is filled in.
        let unnamed = OrderRequest { hostname: String::new(), ..order(&env, "", 12, None) };
        let preview = env.state.orders.preview(&Caller { email_verified: false, ..env.sari.clone() }, &unnamed).await.unwrap();
        let review = env.state.orders.quote(&env.sari, &order(&env, "web-2", 12, None)).await.unwrap();
        assert_eq!((preview.subtotal, preview.discount, preview.tax, preview.total), (review.subtotal, review.discount, review.tax, review.total));
        let unknown_coupon = env.state.orders.preview(&env.sari, &order(&env, "", 1, Some("NOPE"))).await.unwrap_err();
        assert_eq!(unknown_coupon.code(), Code::CouponUnknown);
        assert_eq!(before, (count(&test.db, "orders").await, count(&test.db, "invoices").await, count(&test.db, "invoice_counters").await));
        let invoices: Vec<String> = env.state.billing.list(&env.sari, false).await.unwrap().into_iter().map(|i| i.number).collect();
        assert_eq!(invoices.len(), 1);
    }

    async fn parallel_orders_get_every_number_once(test: TestDb) {
        let env = env(&test).await;
        let tasks: Vec<_> = (0..12)
            .map(|n| {
                let orders = env.state.orders.clone();
                let sari = env.sari.clone();
                let request = order(&env, &format!("web-{n}"), 1, None);
                tokio::spawn(async move { orders.place(&sari, request).await })
            })
            .collect();
        let mut numbers = Vec::new();
        for task in tasks {
            numbers.push(task.await.unwrap().unwrap().invoice.number);
        }
        numbers.sort();
        let month = Utc::now().format("%Y%m");
        let expected: Vec<String> = (1..=12).map(|n| format!("INV-{month}-{n:05}")).collect();
        assert_eq!(numbers, expected, "no gaps, no duplicates");
    }

    async fn a_free_order_settles_at_once_and_runs(test: TestDb) {
        let env = env(&test).await;
        free_coupon(&test, &env, Some(1)).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "free-1", 1, Some("Gratis"))).await.unwrap();
        assert_eq!((placed.invoice.total, placed.invoice.status.as_str()), (0, "paid"));
        assert_eq!(placed.invoice.paid_via.as_deref(), Some("coupon"));
        assert_eq!(placed.order.status.as_str(), "paid");
        let used_up = env.state.orders.place(&env.sari, order(&env, "free-2", 1, Some("GRATIS"))).await.unwrap_err();
        assert_eq!(used_up.code(), Code::CouponUsedUp);

        drain(&test.db, &env.jobs).await;
        let detail = env.state.orders.detail(&env.sari, placed.order.id).await.unwrap();
        assert_eq!(detail.order.status.as_str(), "active");
        let path: Vec<&str> = detail.events.iter().map(|event| event.to_status.as_str()).collect();
        assert_eq!(path, ["pending_payment", "paid", "provisioning", "active"]);
        let until = detail.order.paid_until.unwrap();
        assert!(until > Utc::now() + Duration::days(27) && until < Utc::now() + Duration::days(32));
        let servers = env.state.instances.list_mine(&env.sari).await.unwrap();
        assert_eq!((servers.len(), servers[0].status.as_str()), (1, "running"));
        assert_eq!(servers[0].order_id, Some(placed.order.id));
    }

    async fn a_paid_order_waits_for_its_server_and_runs_the_moment_it_is_made(test: TestDb) {
        let env = env(&test).await;
        free_coupon(&test, &env, None).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1", 1, Some("gratis"))).await.unwrap();
        // Only what is due now runs (no clock moved, unlike `drain`): the order's job makes the
        // server and waits for it, the server's job makes it run and wakes the order.
        let mut ran = Vec::new();
        while let Some(job) = jobs::run_once(&test.db, &env.jobs, "w", Duration::minutes(5)).await.unwrap() {
            ran.push(job.kind);
            assert!(ran.len() < 50, "the jobs keep running: {ran:?}");
        }
        assert_eq!(order_status(&env, placed.order.id).await, "active", "jobs run: {ran:?}");
        let order_runs = ran.iter().filter(|kind| kind.as_str() == orders::PROVISION_JOB).count();
        assert_eq!(order_runs, 2, "made the server, then woken once it ran: {ran:?}");
    }

    async fn a_flood_of_forged_callbacks_writes_one_entry_and_is_then_ignored(test: TestDb) {
        let env = env(&test).await;
        let key = sandbox_key(&test.db).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1", 1, None)).await.unwrap();
        let invoice = placed.invoice.clone();
        let payment = env.state.billing.pay(&env.sari, invoice.id, "QRIS").await.unwrap();
        let paid = callback_body(&payment.reference, &invoice, invoice.total, "PAID");
        let forger = Some("203.0.113.66");
        let forge = || env.state.billing.apply_callback(&paid, Some("0000"), Some("payment_status"), forger);
        let allowed = billing::refusals::BAD_SIGNATURES_ALLOWED;
        for _ in 0..allowed {
            assert!(matches!(forge().await.unwrap_err(), CallbackError::BadSignature));
        }
        for _ in 0..10 {
            assert!(matches!(forge().await.unwrap_err(), CallbackError::TooMany));
        }
        let entries: Vec<(String, Option<String>, Option<String>)> = db_run!(&test.db, |pool| {
            sqlx::query_as("SELECT action, ip, detail FROM audit_log WHERE action LIKE 'payment_callback_%'")
                .fetch_all(pool)
                .await
        })
        .unwrap();
        assert_eq!(
            entries,
            vec![("payment_callback_bad_signature".to_owned(), Some("203.0.113.66".to_owned()), Some("1 refused since the last entry".to_owned()))],
            "one entry for the minute"
        );
        // Another sender is still heard, and the gateway's own signed callback still counts
        // even from the forger's address (a shared proxy).
        let other = env.state.billing.apply_callback(&paid, Some("0000"), Some("payment_status"), Some("203.0.113.67")).await;
        assert!(matches!(other.unwrap_err(), CallbackError::BadSignature));
        let signature = tripay::callback_signature(&key, &paid);
        env.state.billing.apply_callback(&paid, Some(&signature), Some("payment_status"), forger).await.unwrap();
        assert_eq!(order_status(&env, placed.order.id).await, "paid");
    }

    async fn a_sandbox_payment_settles_once_whatever_the_callbacks_do(test: TestDb) {
        let env = env(&test).await;
        let key = sandbox_key(&test.db).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1", 1, None)).await.unwrap();
        let invoice = placed.invoice.clone();
        let unknown = env.state.billing.pay(&env.sari, invoice.id, "BITCOIN").await.unwrap_err();
        assert_eq!(unknown.code(), Code::ChannelUnknown);
        let payment = env.state.billing.pay(&env.sari, invoice.id, "QRIS").await.unwrap();
        assert!(payment.qr_string.is_some() && payment.checkout_url.is_some());
        let again = env.state.billing.pay(&env.sari, invoice.id, "QRIS").await.unwrap();
        assert_eq!(again.reference, payment.reference, "a second click answers the same payment");
        let paid = callback_body(&payment.reference, &invoice, invoice.total, "PAID");

        // Forged, for the wrong amount, for another invoice: refused, nothing changes, logged.
        let forged = deliver(&env, &paid, "not-the-key").await.unwrap_err();
        assert!(matches!(forged, CallbackError::BadSignature));
        let unsigned = env.state.billing.apply_callback(&paid, None, Some("payment_status"), None).await.unwrap_err();
        assert!(matches!(unsigned, CallbackError::BadSignature));
        let short = callback_body(&payment.reference, &invoice, invoice.total - 1, "PAID");
        assert!(matches!(deliver(&env, &short, &key).await.unwrap_err(), CallbackError::Mismatch));
        let signature = tripay::callback_signature(&key, &paid);
        let wrong_event = env.state.billing.apply_callback(&paid, Some(&signature), Some("payout_status"), None).await.unwrap_err();
        assert!(matches!(wrong_event, CallbackError::WrongEvent));
        // The same bytes re-serialised with other spacing no longer match their signature.
        let respaced = String::from_utf8(paid.clone()).unwrap().replace(":", ": ").into_bytes();
        let tampered = env.state.billing.apply_callback(&respaced, Some(&signature), Some("payment_status"), None).await.unwrap_err();
        assert!(matches!(tampered, CallbackError::BadSignature));
        assert_eq!(order_status(&env, placed.order.id).await, "pending_payment");
        let audit: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'payment_callback_%'")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(audit, 2, "one entry per reason of refusal and minute");

        // Paid, then the same callback again, then a late EXPIRED: one change.
        deliver(&env, &paid, &key).await.unwrap();
        deliver(&env, &paid, &key).await.unwrap();
        deliver(&env, &callback_body(&payment.reference, &invoice, invoice.total, "EXPIRED"), &key).await.unwrap();
        let view = env.state.billing.invoice(&env.sari, invoice.id).await.unwrap();
        assert_eq!((view.invoice.status.as_str(), view.payments[0].status.as_str()), ("paid", "paid"));
        assert_eq!(view.invoice.paid_via.as_deref(), Some("sandbox"));
        let provisions: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'order_provision'")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(provisions, 1, "one server for one payment");
        let not_payable = env.state.billing.pay(&env.sari, invoice.id, "BRIVA").await.unwrap_err();
        assert_eq!(not_payable.code(), Code::InvoiceNotPayable);

        drain(&test.db, &env.jobs).await;
        assert_eq!(order_status(&env, placed.order.id).await, "active");
        assert_eq!(count(&test.db, "instances").await, 1);
    }

    async fn an_unpaid_invoice_expires_its_order_and_gives_the_coupon_back(test: TestDb) {
        let env = env(&test).await;
        let input = CouponInput {
            code: "HEMAT10".into(),
            kind: CouponKind::Fixed,
            amount: 10_000,
            valid_from: None,
            valid_until: None,
            max_uses: Some(1),
            max_uses_per_customer: Some(1),
            plan_ids: Vec::new(),
            active: true,
        };
        coupons::save(&test.db, &env.admin, None, &input).await.unwrap();
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1", 1, Some("hemat10"))).await.unwrap();
        assert_eq!(placed.invoice.discount, 10_000);
        let payment = env.state.billing.pay(&env.sari, placed.invoice.id, "BRIVA").await.unwrap();
        assert!(payment.pay_code.is_some());
        // Its day has passed.
        db_run!(&test.db, |pool| async move {
            let past = Utc::now() - Duration::minutes(1);
            sqlx::query("UPDATE invoices SET expires_at = $1").bind(past).execute(pool).await?;
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE kind = 'invoice_expiry'").bind(past).execute(pool).await.map(|_| ())
        }
        .await)
        .unwrap();
        drain(&test.db, &env.jobs).await;

        let detail = env.state.orders.detail(&env.sari, placed.order.id).await.unwrap();
        assert_eq!(detail.order.status.as_str(), "expired");
        assert_eq!(detail.invoices[0].status.as_str(), "expired");
        let view = env.state.billing.invoice(&env.sari, placed.invoice.id).await.unwrap();
        assert_eq!(view.payments[0].status.as_str(), "expired");
        // The host name and the coupon are free again.
        let again = env.state.orders.place(&env.sari, order(&env, "web-1", 1, Some("HEMAT10"))).await.unwrap();
        assert_eq!(again.invoice.discount, 10_000);
        // A late PAID for the expired invoice changes nothing but asks for a refund.
        let key = sandbox_key(&test.db).await;
        deliver(&env, &callback_body(&payment.reference, &placed.invoice, placed.invoice.total, "PAID"), &key).await.unwrap();
        assert_eq!(order_status(&env, placed.order.id).await, "expired");
        let refunds: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'payment_needs_refund'")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(refunds, 1);
    }

    async fn another_customers_orders_and_invoices_are_not_found(test: TestDb) {
        let env = env(&test).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1", 1, None)).await.unwrap();
        let budi = env.state.accounts.create_admin("budi@webrana.test", "Budi", "ruang-server-aman-3").await.unwrap();
        let budi = caller(budi.id, Role::Customer);
        assert_eq!(env.state.orders.detail(&budi, placed.order.id).await.unwrap_err().code(), Code::NotFound);
        assert_eq!(env.state.billing.invoice(&budi, placed.invoice.id).await.unwrap_err().code(), Code::NotFound);
        assert_eq!(env.state.billing.pay(&budi, placed.invoice.id, "QRIS").await.unwrap_err().code(), Code::NotFound);
        assert!(env.state.orders.list_mine(&budi).await.unwrap().is_empty());
        assert_eq!(env.state.orders.list_all(&budi, &OrderFilter::default()).await.unwrap_err().code(), Code::Forbidden);
        let all = env.state.orders.list_all(&env.admin, &OrderFilter { status: Some("pending_payment".into()), search: Some("SARI@".into()), ..Default::default() }).await.unwrap();
        assert_eq!(all.len(), 1);
        // A wildcard typed into the search is looked for as it is.
        for literal in ["%", "sari_", "web_1"] {
            let found = env.state.orders.list_all(&env.admin, &OrderFilter { search: Some(literal.into()), ..Default::default() }).await.unwrap();
            assert!(found.is_empty(), "{literal}");
        }
    }
}

both_backends! {
    async fn a_renewal_is_invoiced_once_and_extends_the_period_once(test: TestDb) {
        let env = env(&test).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1", 1, None)).await.unwrap();
        env.state.billing.mark_paid(&env.admin, placed.invoice.id, "BCA transfer 0042").await.unwrap();
        drain(&test.db, &env.jobs).await;
        let paid_until = env.state.orders.detail(&env.sari, placed.order.id).await.unwrap().order.paid_until.unwrap();

        assert_eq!(env.state.orders.issue_renewals(Utc::now()).await.unwrap(), 0, "not due a month ahead");
        assert_eq!(
            env.state.orders.issue_renewals(paid_until + Duration::days(4)).await.unwrap(),
            0,
            "past the grace, a renewal could not be paid any more"
        );
        // The test clock: six days before the paid month ends.
        let clock = paid_until - Duration::days(6);
        assert_eq!(env.state.orders.issue_renewals(clock).await.unwrap(), 1);
        assert_eq!(env.state.orders.issue_renewals(clock).await.unwrap(), 0, "one open renewal per order");
        let detail = env.state.orders.detail(&env.sari, placed.order.id).await.unwrap();
        let renewal = detail.invoices.iter().find(|invoice| invoice.purpose == "renewal").unwrap().clone();
        assert_eq!((renewal.total, renewal.status.as_str()), (83_250, "unpaid"));
        assert_eq!(renewal.expires_at, paid_until + Duration::days(3 + 14), "payable until the service would be terminated");

        // Paid through two channels, and the first callback delivered twice.
        let key = sandbox_key(&test.db).await;
        let qris = env.state.billing.pay(&env.sari, renewal.id, "QRIS").await.unwrap();
        let briva = env.state.billing.pay(&env.sari, renewal.id, "BRIVA").await.unwrap();
        for reference in [&qris.reference, &qris.reference, &briva.reference] {
            deliver(&env, &callback_body(reference, &renewal, renewal.total, "PAID"), &key).await.unwrap();
        }
        let extended = env.state.orders.detail(&env.sari, placed.order.id).await.unwrap().order.paid_until.unwrap();
        assert_eq!(extended, paid_until.checked_add_months(chrono::Months::new(1)).unwrap(), "one month more, once");
        let refunds: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'payment_needs_refund'")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(refunds, 1, "the second channel's money is flagged for a refund");
        assert_eq!(env.state.orders.issue_renewals(clock).await.unwrap(), 0, "the period moved on");
    }
}

both_backends! {
    async fn admins_cancel_unstarted_orders_and_extend_running_ones(test: TestDb) {
        let env = env(&test).await;
        let input = CouponInput {
            code: "SEKALI".into(),
            kind: CouponKind::Fixed,
            amount: 5_000,
            valid_from: None,
            valid_until: None,
            max_uses: Some(1),
            max_uses_per_customer: None,
            plan_ids: Vec::new(),
            active: true,
        };
        coupons::save(&test.db, &env.admin, None, &input).await.unwrap();
        let unpaid = env.state.orders.place(&env.sari, order(&env, "web-1", 1, Some("SEKALI"))).await.unwrap();
        assert_eq!(env.state.orders.cancel(&env.sari, unpaid.order.id, "no").await.unwrap_err().code(), Code::Forbidden);
        assert_eq!(env.state.orders.cancel(&env.admin, unpaid.order.id, "  ").await.unwrap_err().code(), Code::NoteRequired);
        let cancelled = env.state.orders.cancel(&env.admin, unpaid.order.id, "customer asked by phone").await.unwrap();
        assert_eq!(cancelled.status.as_str(), "cancelled");
        let detail = env.state.orders.detail(&env.sari, unpaid.order.id).await.unwrap();
        assert_eq!(detail.invoices[0].status.as_str(), "cancelled");
        assert_eq!(detail.events.last().unwrap().note.as_deref(), Some("customer asked by phone"));
        assert_eq!(env.state.billing.pay(&env.sari, unpaid.invoice.id, "QRIS").await.unwrap_err().code(), Code::InvoiceNotPayable);
        // The coupon's only use and the host name are free again.
        let running = env.state.orders.place(&env.sari, order(&env, "web-1", 1, Some("SEKALI"))).await.unwrap();
        env.state.billing.mark_paid(&env.admin, running.invoice.id, "BCA transfer 0043").await.unwrap();
        drain(&test.db, &env.jobs).await;
        let refused = env.state.orders.cancel(&env.admin, running.order.id, "oops").await.unwrap_err();
        assert_eq!(refused.code(), Code::IllegalTransition, "a running service is terminated, not cancelled");

        let before = env.state.orders.detail(&env.sari, running.order.id).await.unwrap().order.paid_until.unwrap();
        assert_eq!(env.state.orders.extend(&env.admin, running.order.id, 0, "x").await.unwrap_err().code(), Code::DaysInvalid);
        assert_eq!(env.state.orders.extend(&env.admin, unpaid.order.id, 5, "x").await.unwrap_err().code(), Code::NotRunning);
        let extended = env.state.orders.extend(&env.admin, running.order.id, 5, "outage credit").await.unwrap();
        assert_eq!(extended.paid_until.unwrap(), before + Duration::days(5));
        let events = env.state.orders.detail(&env.sari, running.order.id).await.unwrap().events;
        assert!(events.last().unwrap().note.as_deref().unwrap().ends_with("outage credit"));
        let audited: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('order_cancelled', 'order_extended', 'invoice_marked_paid')")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(audited, 3);
    }
}

both_backends! {
    async fn an_unpaid_service_is_suspended_after_the_grace_and_paying_brings_it_back(test: TestDb) {
        let env = env(&test).await;
        let (order_id, paid_until) = env.running_service("web-1").await;
        env.state.orders.issue_renewals(paid_until - Duration::days(6)).await.unwrap();
        let renewal = env.state.orders.detail(&env.sari, order_id).await.unwrap().invoices[0].clone();
        assert_eq!(renewal.purpose, "renewal");

        let within_grace = env.state.orders.enforce_due_dates(paid_until + Duration::days(2)).await.unwrap();
        assert_eq!(within_grace.suspended, 0, "three days of grace");
        let overdue = paid_until + Duration::days(3) + Duration::minutes(1);
        assert_eq!(env.state.orders.enforce_due_dates(overdue).await.unwrap().suspended, 1);
        assert_eq!(env.state.orders.enforce_due_dates(overdue).await.unwrap(), Default::default(), "once");
        drain(&test.db, &env.jobs).await;
        assert_eq!(order_status(&env, order_id).await, "suspended");
        let server = env.server_of(order_id).await;
        assert_eq!(server.status.as_str(), "stopped", "powered off by the platform");
        assert!(server.suspended_at.is_some());
        let refused = env
            .state
            .instances
            .request_action(&env.sari, server.id, instances::ActionRequest { kind: domain::providers::ActionKind::PowerOn, image: None, confirm: None })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::Suspended);
        let offers = env.state.instances.detail(&env.sari, server.id).await.unwrap().actions;
        assert!(offers.iter().all(|offer| offer.unavailable.as_deref() == Some("suspended")));

        // Started again behind our back (the provider's panel): the next sweep powers it off.
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE instances SET status = 'running'").execute(pool).await.map(|_| ())
        })
        .unwrap();
        assert_eq!(env.state.orders.enforce_due_dates(overdue).await.unwrap().powered_off, 1);
        drain(&test.db, &env.jobs).await;
        assert_eq!(env.server_of(order_id).await.status.as_str(), "stopped");

        // The renewal is still payable while suspended; paying it brings the service back.
        let key = sandbox_key(&test.db).await;
        let payment = env.state.billing.pay(&env.sari, renewal.id, "QRIS").await.unwrap();
        deliver(&env, &callback_body(&payment.reference, &renewal, renewal.total, "PAID"), &key).await.unwrap();
        drain(&test.db, &env.jobs).await;
        let order = env.state.orders.detail(&env.sari, order_id).await.unwrap();
        assert_eq!(order.order.status.as_str(), "active");
        assert_eq!(order.order.paid_until.unwrap(), paid_until.checked_add_months(chrono::Months::new(1)).unwrap());
        let statuses: Vec<_> = order.events.iter().map(|event| event.to_status.as_str()).collect();
        assert_eq!(statuses, ["pending_payment", "paid", "provisioning", "active", "suspended", "active"]);
        let server = env.server_of(order_id).await;
        assert_eq!((server.status.as_str(), server.suspended_at), ("running", None));
    }

    async fn a_service_left_suspended_is_terminated_and_its_server_deleted(test: TestDb) {
        let env = env(&test).await;
        let (order_id, paid_until) = env.running_service("web-1").await;
        env.state.orders.issue_renewals(paid_until - Duration::days(6)).await.unwrap();
        let renewal = env.state.orders.detail(&env.sari, order_id).await.unwrap().invoices[0].clone();
        let suspended_at = paid_until + Duration::days(3) + Duration::minutes(1);
        env.state.orders.enforce_due_dates(suspended_at).await.unwrap();
        drain(&test.db, &env.jobs).await;
        let still = env.state.orders.enforce_due_dates(suspended_at + Duration::days(13)).await.unwrap();
        assert_eq!(still.terminated, 0, "fourteen days of notice");
        let sweep = env.state.orders.enforce_due_dates(suspended_at + Duration::days(14)).await.unwrap();
        assert_eq!(sweep.terminated, 1);
        drain(&test.db, &env.jobs).await;
        let detail = env.state.orders.detail(&env.sari, order_id).await.unwrap();
        assert_eq!(detail.order.status.as_str(), "terminated");
        assert_eq!(detail.invoices[0].status.as_str(), "cancelled", "the renewal can no longer be paid");
        let server = env.server_of(order_id).await;
        assert_eq!(server.status.as_str(), "deleted");
        let at_provider: String = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COALESCE(target_status, status) FROM sandbox_servers").fetch_one(pool).await
        })
        .unwrap();
        assert_eq!(at_provider, "deleted", "deleted at the provider, not only here");
        assert_eq!(env.state.billing.pay(&env.sari, renewal.id, "QRIS").await.unwrap_err().code(), Code::InvoiceNotPayable);
        assert_eq!(env.state.orders.enforce_due_dates(suspended_at + Duration::days(30)).await.unwrap(), Default::default());
        // The host name is free for a new order.
        env.state.orders.place(&env.sari, order(&env, "web-1", 1, None)).await.unwrap();
    }

    async fn admins_retry_failed_provisioning_and_record_refunds(test: TestDb) {
        let env = env(&test).await;
        let client = ClientInfo { ip: "203.0.113.9".into(), user_agent: "test".into() };
        let plan = sandbox_plan_input("Broken", &["sbx-jkt1"], &["sandbox-broken", "ubuntu-24-04-x64"]);
        let plan = env.state.catalog.create_plan(&env.admin, &client, &plan).await.unwrap();
        let request = OrderRequest { plan_id: model::ids::PlanId(plan.id), image: "sandbox-broken".into(), ..order(&env, "web-1", 1, None) };
        let placed = env.state.orders.place(&env.sari, request).await.unwrap();
        assert_eq!(env.state.orders.retry(&env.admin, placed.order.id, "again").await.unwrap_err().code(), Code::IllegalTransition);
        env.state.billing.mark_paid(&env.admin, placed.invoice.id, "BCA transfer").await.unwrap();
        drain(&test.db, &env.jobs).await;
        assert_eq!(order_status(&env, placed.order.id).await, "failed");
        let failed_server = env.server_of(placed.order.id).await;

        assert_eq!(env.state.orders.retry(&env.sari, placed.order.id, "again").await.unwrap_err().code(), Code::Forbidden);
        assert_eq!(env.state.orders.retry(&env.admin, placed.order.id, " ").await.unwrap_err().code(), Code::NoteRequired);
        // The admin has the order's image repaired at the provider, then retries.
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE orders SET image_slug = 'ubuntu-24-04-x64'").execute(pool).await.map(|_| ())
        })
        .unwrap();
        let retried = env.state.orders.retry(&env.admin, placed.order.id, "image repaired").await.unwrap();
        assert_eq!(retried.status.as_str(), "provisioning");
        drain(&test.db, &env.jobs).await;
        let detail = env.state.orders.detail(&env.sari, placed.order.id).await.unwrap();
        assert_eq!(detail.order.status.as_str(), "active");
        assert_ne!(detail.order.instance_id, Some(failed_server.id), "a new server");
        assert_eq!(env.state.instances.detail(&env.sari, failed_server.id).await.unwrap().instance.status.as_str(), "deleted");
        let at_provider: Vec<String> = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COALESCE(target_status, status) FROM sandbox_servers ORDER BY id").fetch_all(pool).await
        })
        .unwrap();
        assert_eq!(at_provider, ["deleted", "running"], "the failed attempt is cleaned up at the provider");
        let statuses: Vec<_> = detail.events.iter().map(|event| event.to_status.as_str()).collect();
        assert_eq!(statuses, ["pending_payment", "paid", "provisioning", "failed", "provisioning", "active"]);

        // Refunds: only of a paid invoice, with a note, once.
        let invoice = placed.invoice.id;
        assert_eq!(env.state.billing.mark_refunded(&env.sari, invoice, "x").await.unwrap_err().code(), Code::Forbidden);
        assert_eq!(env.state.billing.mark_refunded(&env.admin, invoice, "").await.unwrap_err().code(), Code::NoteRequired);
        let refunded = env.state.billing.mark_refunded(&env.admin, invoice, "BCA back-transfer 77").await.unwrap();
        assert_eq!(refunded.status.as_str(), "refunded");
        assert_eq!(env.state.billing.mark_refunded(&env.admin, invoice, "again").await.unwrap_err().code(), Code::InvoiceNotRefundable);
        let events = env.state.orders.detail(&env.sari, placed.order.id).await.unwrap().events;
        assert!(events.last().unwrap().note.as_deref().unwrap().ends_with("refunded: BCA back-transfer 77"));
        let audited: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('order_retried', 'invoice_refunded')")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(audited, 2);
    }

    async fn admins_filter_orders_by_the_day_they_were_placed(test: TestDb) {
        let env = env(&test).await;
        env.state.orders.place(&env.sari, order(&env, "web-1", 1, None)).await.unwrap();
        let today = Utc::now().date_naive();
        let on = |from, to| OrderFilter { placed_from: from, placed_to: to, ..Default::default() };
        let count_of = |filter: OrderFilter| {
            let orders = env.state.orders.clone();
            let admin = env.admin.clone();
            async move { orders.list_all(&admin, &filter).await.map(|found| found.len()) }
        };
        assert_eq!(count_of(on(Some(today), Some(today))).await.unwrap(), 1);
        assert_eq!(count_of(on(None, today.pred_opt())).await.unwrap(), 0);
        assert_eq!(count_of(on(today.succ_opt(), None)).await.unwrap(), 0);
        let error = count_of(on(Some(today), today.pred_opt())).await.unwrap_err();
        assert_eq!(error.code(), Code::DateRangeInvalid);
    }
}

/// An invoice's history as `invoice_events` keeps it, oldest first: from, to, who, why.
type InvoiceMove = (Option<String>, String, Option<i64>, Option<String>);

async fn invoice_history(db: &Db, invoice_id: i64) -> Vec<InvoiceMove> {
    db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT from_status, to_status, actor_user_id, note FROM invoice_events \
             WHERE invoice_id = $1 ORDER BY id",
        )
        .bind(invoice_id)
        .fetch_all(pool)
        .await
    })
    .unwrap()
}

fn moved(from: Option<&str>, to: &str, actor: Option<i64>, note: Option<&str>) -> InvoiceMove {
    (
        from.map(str::to_owned),
        to.to_owned(),
        actor,
        note.map(str::to_owned),
    )
}

both_backends! {
    async fn an_invoice_moves_only_by_its_table_and_each_move_is_recorded_once(test: TestDb) {
        let env = env(&test).await;
        let key = sandbox_key(&test.db).await;
        let placed = env.state.orders.place(&env.sari, order(&env, "web-1", 1, None)).await.unwrap();
        let invoice = placed.invoice.clone();
        let issued = moved(None, "unpaid", None, None);
        assert_eq!(invoice_history(&test.db, invoice.id).await, std::slice::from_ref(&issued));

        // Illegal: an unpaid invoice is not refunded; nothing changes, nothing is written.
        let refused = env.state.billing.mark_refunded(&env.admin, invoice.id, "by mistake").await.unwrap_err();
        assert_eq!(refused.code(), Code::InvoiceNotRefundable);
        assert_eq!(env.state.billing.invoice(&env.sari, invoice.id).await.unwrap().invoice.status.as_str(), "unpaid");
        assert_eq!(invoice_history(&test.db, invoice.id).await.len(), 1);

        // Paid through the gateway, the callback delivered twice: one move, one row.
        let payment = env.state.billing.pay(&env.sari, invoice.id, "QRIS").await.unwrap();
        let paid = callback_body(&payment.reference, &invoice, invoice.total, "PAID");
        deliver(&env, &paid, &key).await.unwrap();
        deliver(&env, &paid, &key).await.unwrap();
        let paid_move = moved(Some("unpaid"), "paid", None, None);
        assert_eq!(invoice_history(&test.db, invoice.id).await, [issued.clone(), paid_move.clone()]);
        // Paying a paid invoice again by hand is refused and writes nothing.
        let again = env.state.billing.mark_paid(&env.admin, invoice.id, "BCA 1").await.unwrap_err();
        assert_eq!((again.code(), again.to_string().contains("paid")), (Code::InvoiceNotPayable, true));
        assert_eq!(invoice_history(&test.db, invoice.id).await.len(), 2);

        // Refunded by an admin: who and why are kept, and the payment follows.
        env.state.billing.mark_refunded(&env.admin, invoice.id, "BCA back-transfer 77").await.unwrap();
        let refunded = moved(Some("paid"), "refunded", Some(env.admin.user_id), Some("BCA back-transfer 77"));
        assert_eq!(invoice_history(&test.db, invoice.id).await, [issued, paid_move, refunded]);
        // The gateway's REFUND for it, and a late PAID for the refunded payment, change nothing:
        // a refund is final, and no second refund is asked for.
        deliver(&env, &callback_body(&payment.reference, &invoice, invoice.total, "REFUND"), &key).await.unwrap();
        deliver(&env, &paid, &key).await.unwrap();
        let view = env.state.billing.invoice(&env.sari, invoice.id).await.unwrap();
        assert_eq!((view.invoice.status.as_str(), view.payments[0].status.as_str()), ("refunded", "refunded"));
        assert_eq!(invoice_history(&test.db, invoice.id).await.len(), 3);
        let refunds: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'payment_needs_refund'")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(refunds, 0);
    }

    async fn a_cancelled_or_expired_invoice_stays_closed_and_says_who_closed_it(test: TestDb) {
        let env = env(&test).await;
        let cancelled = env.state.orders.place(&env.sari, order(&env, "web-1", 1, None)).await.unwrap();
        env.state.orders.cancel(&env.admin, cancelled.order.id, "customer asked by phone").await.unwrap();
        let closed = moved(Some("unpaid"), "cancelled", Some(env.admin.user_id), Some("customer asked by phone"));
        assert_eq!(invoice_history(&test.db, cancelled.invoice.id).await[1..], [closed]);
        let refused = env.state.billing.mark_paid(&env.admin, cancelled.invoice.id, "BCA 2").await.unwrap_err();
        assert_eq!(refused.code(), Code::InvoiceNotPayable);
        assert_eq!(invoice_history(&test.db, cancelled.invoice.id).await.len(), 2, "a refused move writes nothing");

        let expiring = env.state.orders.place(&env.sari, order(&env, "web-2", 1, None)).await.unwrap();
        let payment = env.state.billing.pay(&env.sari, expiring.invoice.id, "BRIVA").await.unwrap();
        db_run!(&test.db, |pool| async move {
            let past = Utc::now() - Duration::minutes(1);
            sqlx::query("UPDATE invoices SET expires_at = $1").bind(past).execute(pool).await?;
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE kind = 'invoice_expiry'").bind(past).execute(pool).await.map(|_| ())
        }
        .await)
        .unwrap();
        drain(&test.db, &env.jobs).await;
        // The expiry job again, as after a crash before it was marked done: nothing more.
        let job = serde_json::json!({ "invoice_id": expiring.invoice.id });
        let mut tx = test.db.begin().await.unwrap();
        jobs::enqueue(&mut tx, orders::INVOICE_EXPIRY_JOB, &job, Utc::now(), 1).await.unwrap();
        tx.commit().await.unwrap();
        drain(&test.db, &env.jobs).await;
        assert_eq!(invoice_history(&test.db, expiring.invoice.id).await[1..], [moved(Some("unpaid"), "expired", None, None)]);
        let view = env.state.billing.invoice(&env.sari, expiring.invoice.id).await.unwrap();
        assert_eq!((view.invoice.status.as_str(), view.payments[0].status.as_str()), ("expired", "expired"));
        // A FAILED for the expired payment is no move the table has: it stays expired.
        let key = sandbox_key(&test.db).await;
        deliver(&env, &callback_body(&payment.reference, &expiring.invoice, expiring.invoice.total, "FAILED"), &key).await.unwrap();
        let view = env.state.billing.invoice(&env.sari, expiring.invoice.id).await.unwrap();
        assert_eq!(view.payments[0].status.as_str(), "expired");
    }

    async fn a_server_being_deleted_is_not_brought_back_by_a_status_report(test: TestDb) {
        let env = env(&test).await;
        let (order_id, paid_until) = env.running_service("web-1").await;
        let suspended_at = paid_until + Duration::days(3) + Duration::minutes(1);
        env.state.orders.enforce_due_dates(suspended_at).await.unwrap();
        drain(&test.db, &env.jobs).await;
        env.state.orders.enforce_due_dates(suspended_at + Duration::days(14)).await.unwrap();
        // Its deletion is queued, not yet run; the provider still reports it as it was.
        assert_eq!(env.server_of(order_id).await.status.as_str(), "deleting");
        assert_eq!(env.state.instances.sync_statuses().await.unwrap(), 0);
        assert_eq!(env.server_of(order_id).await.status.as_str(), "deleting");
        drain(&test.db, &env.jobs).await;
        let server = env.server_of(order_id).await;
        assert_eq!(server.status.as_str(), "deleted");
        let events = env.state.instances.events(&env.sari, server.id).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
        assert!(!kinds.contains(&"status_changed"), "{kinds:?}");
        for kind in ["terminated", "deleted"] {
            assert_eq!(kinds.iter().filter(|seen| **seen == kind).count(), 1, "{kind} in {kinds:?}");
        }
    }
}
