#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Paying through Tripay, on both databases, against a fake Tripay that keeps the transactions
//! it was asked to create and answers for them in Tripay's documented shapes
//! (`../shared/docs/tripay.md`; the fixtures are our own): a payment whose callback is lost is
//! found by the reconcile sweep, asked about less and less often while unpaid; every channel's
//! pay code gets an expiry within its window; the fees shown are what Tripay charges; OVO is
//! paid only with the customer's phone number.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use domain::accounts::ProfileUpdate;
use domain::billing::channels::ExpiryWindows;
use domain::billing::payments::{Reconciled, next_check};
use domain::billing::tripay::{TripayClient, TripayConfig, TripaySettings};
use domain::billing::{Billing, BillingError, Gateway};
use domain::error::{Code, ErrorCode};
use domain::http_retry::HttpSettings;
use domain::testing::{TestDb, drain};
use domain::{DomainConfig, both_backends, db_run};
use model::language::Language;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod support;
use support::shop::{self, Shop};

const PRIVATE_KEY: &str = "priv-fake-tripay-0001";
/// What the fake charges the customer on every channel, so totals differ from invoice totals
/// as they do at Tripay.
const FEE: i64 = 1_000;

/// Tripay as far as these tests need it: creates transactions, reports them, and lets a test
/// mark one paid without any callback, as when the callback is lost.
#[derive(Clone, Default)]
struct FakeTripay(Arc<Mutex<Ledger>>);

#[derive(Default)]
struct Ledger {
    /// The bodies of `transaction/create`, in order.
    created: Vec<Value>,
    /// Tripay's view of each transaction, by reference.
    transactions: HashMap<String, Value>,
    /// How often `transaction/detail` was asked.
    detail_calls: usize,
    /// Answer every detail with a 500.
    down: bool,
}

impl FakeTripay {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.0.lock().unwrap()
    }

    /// The customer pays at Tripay; no callback comes.
    fn pay(&self, reference: &str) {
        let mut ledger = self.ledger();
        let transaction = ledger.transactions.get_mut(reference).unwrap();
        transaction["status"] = json!("PAID");
        transaction["paid_at"] = json!(Utc::now().timestamp());
    }

    fn last_created(&self) -> Value {
        self.ledger().created.last().cloned().unwrap()
    }

    fn detail_calls(&self) -> usize {
        self.ledger().detail_calls
    }
}

fn envelope(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({ "success": true, "message": "", "data": data }))
}

struct Create(FakeTripay);

impl Respond for Create {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let mut ledger = self.0.ledger();
        let reference = format!("DEV-T0001{:06}", ledger.created.len() + 1);
        let amount = body["amount"].as_i64().unwrap();
        let transaction = json!({
            "reference": reference,
            "merchant_ref": body["merchant_ref"],
            "payment_method": body["method"],
            "payment_name": body["method"],
            "customer_name": body["customer_name"],
            "customer_email": body["customer_email"],
            "customer_phone": body["customer_phone"],
            "amount": amount + FEE,
            "fee_merchant": 0,
            "fee_customer": FEE,
            "total_fee": FEE,
            "amount_received": amount + FEE,
            "pay_code": "880812345678",
            "checkout_url": format!("https://tripay.test/checkout/{reference}"),
            "status": "UNPAID",
            "expired_time": body["expired_time"],
            "instructions": [],
        });
        ledger.created.push(body);
        ledger.transactions.insert(reference, transaction.clone());
        envelope(transaction)
    }
}

struct Detail(FakeTripay);

impl Respond for Detail {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut ledger = self.0.ledger();
        ledger.detail_calls += 1;
        if ledger.down {
            return ResponseTemplate::new(500);
        }
        let reference = request
            .url
            .query_pairs()
            .find(|(key, _)| key == "reference")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        match ledger.transactions.get(&reference) {
            Some(transaction) => envelope(transaction.clone()),
            None => ResponseTemplate::new(200)
                .set_body_json(json!({ "success": false, "message": "Transaction not found" })),
        }
    }
}

/// The merchant's channels: virtual accounts with the default window (BNIVA) and an
/// operator's longer one (BRIVA), QRIS with its fee bounds, and OVO, which needs a phone.
fn channels() -> Value {
    let channel = |code: &str, group: &str, kind: &str, fee: Value, min: Value, max: Value| {
        json!({
            "group": group, "code": code, "name": format!("{code} (fake)"), "type": kind,
            "fee_merchant": { "flat": 0, "percent": 0 },
            "fee_customer": fee,
            "minimum_fee": min, "maximum_fee": max,
            "minimum_amount": 10000, "maximum_amount": 100000000,
            "icon_url": "", "active": true,
        })
    };
    json!([
        channel(
            "BNIVA",
            "Virtual Account",
            "direct",
            json!({ "flat": 4000, "percent": 0 }),
            Value::Null,
            Value::Null
        ),
        channel(
            "BRIVA",
            "Virtual Account",
            "direct",
            json!({ "flat": 4250, "percent": 0 }),
            Value::Null,
            Value::Null
        ),
        channel(
            "QRIS",
            "E-Wallet",
            "direct",
            json!({ "flat": 0, "percent": "0.70" }),
            json!(750),
            json!(4500)
        ),
        channel(
            "OVO",
            "E-Wallet",
            "redirect",
            json!({ "flat": 0, "percent": 3 }),
            Value::Null,
            Value::Null
        ),
    ])
}

struct Env {
    shop: Shop,
    tripay: FakeTripay,
    _server: MockServer,
}

async fn env(test: &TestDb) -> Env {
    let server = MockServer::start().await;
    let tripay = FakeTripay::default();
    Mock::given(method("GET"))
        .and(path("/api-sandbox/merchant/payment-channel"))
        .respond_with(envelope(channels()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .respond_with(Create(tripay.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api-sandbox/transaction/detail"))
        .respond_with(Detail(tripay.clone()))
        .mount(&server)
        .await;
    let client = TripayClient::with_settings(
        TripayConfig {
            api_key: "DEV-fake".into(),
            private_key: PRIVATE_KEY.into(),
            merchant_code: "T0001".into(),
            base_url: format!("{}/api-sandbox", server.uri()),
        },
        TripaySettings {
            http: HttpSettings {
                timeout: StdDuration::from_secs(2),
                attempts: 1,
                backoff_base: StdDuration::from_millis(1),
                backoff_cap: StdDuration::from_millis(1),
                max_retry_after: StdDuration::from_millis(1),
            },
            ..TripaySettings::default()
        },
    )
    .unwrap();
    let config = DomainConfig {
        payment_gateway: Some(Gateway::Tripay {
            client,
            private_key: PRIVATE_KEY.into(),
            callback_url: "http://127.0.0.1:9/api/v1/payments/tripay/callback".into(),
        }),
        payment_expiry_windows: ExpiryWindows::parse("BRIVA=15-43200").unwrap(),
        ..DomainConfig::default()
    };
    Env {
        shop: shop::open(test, config).await,
        tripay,
        _server: server,
    }
}

impl Env {
    fn billing(&self) -> &Billing {
        &self.shop.state.billing
    }

    /// A new order's invoice, payable for the default 24 hours.
    async fn invoice(&self, hostname: &str) -> (i64, i64) {
        let placed = self
            .shop
            .state
            .orders
            .place(&self.shop.sari, self.shop.order(hostname, 1, None))
            .await
            .unwrap();
        (placed.order.id, placed.invoice.id)
    }

    async fn invoice_status(&self, invoice_id: i64) -> String {
        let view = self
            .billing()
            .invoice(&self.shop.sari, invoice_id)
            .await
            .unwrap();
        view.invoice.status.to_string()
    }

    async fn set_phone(&self, phone: Option<&str>) {
        self.shop
            .state
            .accounts
            .update_profile(
                &self.shop.sari,
                ProfileUpdate {
                    name: "Sari Wulandari",
                    phone,
                    language: Language::Id,
                    time_zone: Default::default(),
                },
            )
            .await
            .unwrap();
    }
}

async fn move_invoice_end(test: &TestDb, invoice_id: i64, expires_at: DateTime<Utc>) {
    db_run!(&test.db, |pool| {
        sqlx::query("UPDATE invoices SET expires_at = $1 WHERE id = $2")
            .bind(expires_at)
            .bind(invoice_id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
}

fn expired_time(created: &Value) -> i64 {
    created["expired_time"].as_i64().unwrap()
}

both_backends! {
    async fn a_payment_whose_callback_is_lost_is_found_by_the_sweep(test: TestDb) {
        let env = env(&test).await;
        let (order_id, invoice_id) = env.invoice("web-1").await;
        let payment = env.billing().pay(&env.shop.sari, invoice_id, "QRIS").await.unwrap();
        assert_eq!(payment.total_amount, payment.amount + FEE);
        env.tripay.pay(&payment.reference);
        let made = Utc::now();

        // Too young: Tripay's callback may still be on its way.
        let early = env.billing().reconcile_open_payments(made + Duration::minutes(2)).await.unwrap();
        assert_eq!(early, Reconciled::default());
        assert_eq!(env.tripay.detail_calls(), 0);
        assert_eq!(env.invoice_status(invoice_id).await, "unpaid");

        let swept = env.billing().reconcile_open_payments(made + Duration::minutes(6)).await.unwrap();
        assert_eq!(swept, Reconciled { checked: 1, settled: 1 });
        assert_eq!(env.invoice_status(invoice_id).await, "paid");
        let view = env.billing().invoice(&env.shop.sari, invoice_id).await.unwrap();
        assert_eq!(view.payments[0].status.as_str(), "paid");
        assert_eq!(view.invoice.paid_via.as_deref(), Some("tripay"));
        // The server is provisioned as after any payment.
        drain(&test.db, &env.shop.jobs).await;
        let detail = env.shop.state.orders.detail(&env.shop.sari, order_id).await.unwrap();
        assert_eq!(detail.order.status.as_str(), "active");

        // A settled payment is not asked about again.
        let again = env.billing().reconcile_open_payments(made + Duration::hours(3)).await.unwrap();
        assert_eq!(again, Reconciled::default());
        assert_eq!(env.tripay.detail_calls(), 1);
    }
}

both_backends! {
    async fn an_unpaid_payment_is_asked_about_less_and_less_often(test: TestDb) {
        let env = env(&test).await;
        let (_, invoice_id) = env.invoice("web-1").await;
        let payment = env.billing().pay(&env.shop.sari, invoice_id, "BNIVA").await.unwrap();
        let made = Utc::now();
        let sweep = |minutes: i64| env.billing().reconcile_open_payments(made + Duration::minutes(minutes));

        assert_eq!(sweep(6).await.unwrap(), Reconciled { checked: 1, settled: 0 });
        // Next asked 10 minutes after that check, then 20, 40, and then every hour.
        assert_eq!(sweep(15).await.unwrap().checked, 0);
        assert_eq!(sweep(17).await.unwrap().checked, 1);
        assert_eq!(sweep(36).await.unwrap().checked, 0);
        assert_eq!(sweep(38).await.unwrap().checked, 1);
        assert_eq!(sweep(77).await.unwrap().checked, 0);
        assert_eq!(sweep(79).await.unwrap().checked, 1);
        assert_eq!(sweep(138).await.unwrap().checked, 0);
        assert_eq!(sweep(140).await.unwrap().checked, 1);
        assert_eq!(env.tripay.detail_calls(), 5);
        assert_eq!(
            [0, 1, 2, 3, 9].map(next_check),
            [10, 20, 40, 60, 60].map(Duration::minutes)
        );

        // Tripay down: the sweep carries on, and the payment waits its turn like any other.
        env.tripay.ledger().down = true;
        assert_eq!(sweep(201).await.unwrap(), Reconciled { checked: 1, settled: 0 });
        assert_eq!(env.invoice_status(invoice_id).await, "unpaid");
        env.tripay.ledger().down = false;
        env.tripay.pay(&payment.reference);
        assert_eq!(sweep(230).await.unwrap().checked, 0);
        assert_eq!(sweep(262).await.unwrap(), Reconciled { checked: 1, settled: 1 });
        assert_eq!(env.invoice_status(invoice_id).await, "paid");
    }
}

both_backends! {
    async fn every_channel_gets_an_expiry_within_its_window(test: TestDb) {
        let env = env(&test).await;
        // A renewal's invoice, payable for 23 days.
        let (_, invoice_id) = env.invoice("web-1").await;
        let payable_until = Utc::now() + Duration::days(23);
        move_invoice_end(&test, invoice_id, payable_until).await;

        // BNIVA allows a day at most; BRIVA, by the operator's word, 30 days.
        let asked = Utc::now();
        let bni = env.billing().pay(&env.shop.sari, invoice_id, "BNIVA").await.unwrap();
        let sent = expired_time(&env.tripay.last_created());
        let day = asked.timestamp() + 24 * 60 * 60;
        assert!((day..=day + 5).contains(&sent), "BNIVA asked for {sent}, a day is {day}");
        assert_eq!(bni.expires_at.timestamp(), sent);
        env.billing().pay(&env.shop.sari, invoice_id, "BRIVA").await.unwrap();
        assert_eq!(expired_time(&env.tripay.last_created()), payable_until.timestamp());

        // With 20 minutes left every channel fits, and none outlives the invoice.
        let (_, short) = env.invoice("web-2").await;
        let soon = Utc::now() + Duration::minutes(20);
        move_invoice_end(&test, short, soon).await;
        let offered = env.billing().channels_for(&env.shop.sari, short).await.unwrap();
        assert_eq!(offered.iter().map(|channel| channel.code.as_str()).collect::<Vec<_>>(), ["BNIVA", "BRIVA", "QRIS", "OVO"]);
        env.billing().pay(&env.shop.sari, short, "QRIS").await.unwrap();
        assert_eq!(expired_time(&env.tripay.last_created()), soon.timestamp());

        // With 10 minutes left no channel can take it (15 minutes at least), and nothing is sent.
        let (_, last_minute) = env.invoice("web-3").await;
        move_invoice_end(&test, last_minute, Utc::now() + Duration::minutes(10)).await;
        assert!(env.billing().channels_for(&env.shop.sari, last_minute).await.unwrap().is_empty());
        let created = env.tripay.ledger().created.len();
        let refused = env.billing().pay(&env.shop.sari, last_minute, "QRIS").await.unwrap_err();
        assert_eq!(refused.code(), Code::ChannelUnknown);
        assert!(refused.to_string().contains("not a way to pay this invoice now"), "{refused}");
        assert_eq!(env.tripay.ledger().created.len(), created);
    }
}

both_backends! {
    async fn the_fees_shown_are_what_tripay_charges(test: TestDb) {
        let env = env(&test).await;
        let fee = |channels: &[model::billing::Channel], code: &str| {
            channels.iter().find(|channel| channel.code == code).unwrap().fee
        };
        // 75 000 + PPN 11 % = 83 250: 0.7 % is 583, lifted to QRIS's minimum of 750.
        let (_, small) = env.invoice("web-1").await;
        let offered = env.billing().channels_for(&env.shop.sari, small).await.unwrap();
        assert_eq!(fee(&offered, "QRIS"), 750);
        assert_eq!(fee(&offered, "BNIVA"), 4_000);
        // A year: 765 000 + PPN = 849 150; 0.7 % is 5 945, held to the maximum of 4 500.
        let placed = env.shop.state.orders.place(&env.shop.sari, env.shop.order("web-2", 12, None)).await.unwrap();
        let offered = env.billing().channels_for(&env.shop.sari, placed.invoice.id).await.unwrap();
        assert_eq!(placed.invoice.total, 849_150);
        assert_eq!(fee(&offered, "QRIS"), 4_500);
        // 3 % of 849 150, rounded up.
        assert_eq!(fee(&offered, "OVO"), 25_475);
    }
}

both_backends! {
    async fn ovo_is_paid_only_with_the_customers_phone_number(test: TestDb) {
        let env = env(&test).await;
        let (_, invoice_id) = env.invoice("web-1").await;
        let ovo = |channels: Vec<model::billing::Channel>| channels.into_iter().find(|channel| channel.code == "OVO").unwrap();

        let offered = ovo(env.billing().channels_for(&env.shop.sari, invoice_id).await.unwrap());
        assert!(offered.phone_needed, "shown, with what it needs");
        let created = env.tripay.ledger().created.len();
        let refused = env.billing().pay(&env.shop.sari, invoice_id, "OVO").await.unwrap_err();
        assert_eq!((refused.code(), refused.field()), (Code::PhoneRequired, Some("phone")));
        assert!(matches!(refused, BillingError::Invalid { .. }));
        assert!(refused.to_string().contains("needs your phone number"), "{refused}");
        assert_eq!(env.tripay.ledger().created.len(), created, "nothing sent to Tripay");

        env.set_phone(Some("+62 812-3456-7890")).await;
        assert!(!ovo(env.billing().channels_for(&env.shop.sari, invoice_id).await.unwrap()).phone_needed);
        env.billing().pay(&env.shop.sari, invoice_id, "OVO").await.unwrap();
        // In the form Tripay documents, and on every channel once known.
        assert_eq!(env.tripay.last_created()["customer_phone"], "081234567890");
        env.billing().pay(&env.shop.sari, invoice_id, "QRIS").await.unwrap();
        assert_eq!(env.tripay.last_created()["customer_phone"], "081234567890");
    }
}

/// Tripay's callback for a transaction of the fake, as it would post it now.
fn callback_for(env: &Env, reference: &str, status: &str) -> Vec<u8> {
    let ledger = env.tripay.ledger();
    let transaction = &ledger.transactions[reference];
    json!({
        "reference": reference,
        "merchant_ref": transaction["merchant_ref"],
        "payment_method": transaction["payment_method"],
        "payment_method_code": transaction["payment_method"],
        "total_amount": transaction["amount"],
        "fee_merchant": 0,
        "fee_customer": FEE,
        "total_fee": FEE,
        "amount_received": transaction["amount"],
        "is_closed_payment": 1,
        "status": status,
        "paid_at": Utc::now().timestamp(),
        "note": null,
    })
    .to_string()
    .into_bytes()
}

impl Env {
    /// Tripay tells us a transaction was refunded.
    async fn refund(&self, reference: &str) {
        let body = callback_for(self, reference, "REFUND");
        let signature = domain::billing::tripay::callback_signature(PRIVATE_KEY, &body);
        self.billing()
            .apply_callback(
                &body,
                Some(&signature),
                Some("payment_status"),
                Some("203.0.113.7"),
            )
            .await
            .unwrap();
    }

    /// Pays `invoice_id` with QRIS at Tripay, its callback lost, and lets the sweep find it.
    async fn pay_through_tripay(&self, invoice_id: i64) -> String {
        let payment = self
            .billing()
            .pay(&self.shop.sari, invoice_id, "QRIS")
            .await
            .unwrap();
        self.tripay.pay(&payment.reference);
        let swept = self
            .billing()
            .reconcile_open_payments(Utc::now() + Duration::minutes(6))
            .await
            .unwrap();
        assert_eq!(swept.settled, 1);
        payment.reference
    }

    async fn latest_notice(&self, test: &TestDb, event: &str) -> String {
        db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT body FROM notifications WHERE user_id = $1 AND event = $2 ORDER BY id DESC LIMIT 1")
                .bind(self.shop.sari.user_id)
                .bind(event)
                .fetch_one(pool)
                .await
        })
        .unwrap()
    }
}

both_backends! {
    async fn a_refund_at_tripay_ends_the_service_it_paid_for(test: TestDb) {
        let env = env(&test).await;
        let (order_id, invoice_id) = env.invoice("web-1").await;
        let reference = env.pay_through_tripay(invoice_id).await;
        drain(&test.db, &env.shop.jobs).await;
        assert_eq!(env.shop.server_of(order_id).await.status.as_str(), "running");

        env.refund(&reference).await;
        assert_eq!(env.invoice_status(invoice_id).await, "refunded");
        let detail = env.shop.state.orders.detail(&env.shop.sari, order_id).await.unwrap();
        assert_eq!(detail.order.status.as_str(), "cancelled");
        assert_eq!(detail.events.last().unwrap().note.as_deref(), Some("the payment was refunded"));
        drain(&test.db, &env.shop.jobs).await;
        assert_eq!(env.shop.server_of(order_id).await.status.as_str(), "deleted");
        assert!(env.latest_notice(&test, "order_cancelled").await.starts_with("Pembayarannya dikembalikan"));
        // Told again, it changes nothing more.
        env.refund(&reference).await;
        assert_eq!(env.shop.state.orders.detail(&env.shop.sari, order_id).await.unwrap().events.len(), detail.events.len());

        // Paid but not started yet: simply cancelled. Being made: the admins are told to end it.
        let (waiting, waiting_invoice) = env.invoice("web-2").await;
        let reference = env.pay_through_tripay(waiting_invoice).await;
        env.refund(&reference).await;
        assert_eq!(env.shop.state.orders.detail(&env.shop.sari, waiting).await.unwrap().order.status.as_str(), "cancelled");
        let (making, making_invoice) = env.invoice("web-3").await;
        let reference = env.pay_through_tripay(making_invoice).await;
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE orders SET status = 'provisioning' WHERE id = $1").bind(making).execute(pool).await.map(|_| ())
        })
        .unwrap();
        env.refund(&reference).await;
        assert_eq!(env.invoice_status(making_invoice).await, "refunded");
        let told: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE event = 'admin_refunded_while_provisioning' AND link = $1")
                .bind(format!("/admin/orders/{making}"))
                .fetch_one(pool)
                .await
        })
        .unwrap();
        // Once to each admin account (the shop's Sari was made one too).
        assert_eq!(told, 2);
    }
}

both_backends! {
    async fn a_refunded_renewal_takes_its_period_back(test: TestDb) {
        let env = env(&test).await;
        let (order_id, paid_until) = env.shop.running_service("web-1").await;
        env.shop.state.orders.issue_renewals(paid_until - Duration::days(6)).await.unwrap();
        let renewal = env.shop.state.orders.detail(&env.shop.sari, order_id).await.unwrap().invoices[0].clone();
        assert_eq!(renewal.purpose, "renewal");
        let reference = env.pay_through_tripay(renewal.id).await;
        let extended = env.shop.state.orders.detail(&env.shop.sari, order_id).await.unwrap().order.paid_until.unwrap();
        assert!(extended > paid_until + Duration::days(27), "a month more: {extended}");

        env.refund(&reference).await;
        let detail = env.shop.state.orders.detail(&env.shop.sari, order_id).await.unwrap();
        assert_eq!(detail.order.status.as_str(), "active", "the period it paid for is gone, not the service");
        assert_eq!(detail.order.paid_until, Some(paid_until));
        let note = detail.events.last().unwrap().note.clone().unwrap();
        assert!(note.starts_with(&format!("renewal {} refunded: paid until", renewal.number)), "{note}");
        assert!(env.latest_notice(&test, "order_updated").await.starts_with(&format!("Pembayaran {} dikembalikan", renewal.number)));
    }
}
