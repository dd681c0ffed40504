#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Tripay client against a mock server answering in the shapes of Tripay's API
//! (`../shared/docs/tripay.md`): the `{"success", "message", "data"}` envelope, its error
//! answers with and without a non-2xx status, and the type quirks (numbers as strings, pay codes
//! as numbers). The fixtures are our own, written in those shapes.

use std::time::Duration;

use chrono::DateTime;
use domain::billing::tripay::{
    self, CALLBACK_EVENT, ChannelKind, NewTransaction, OrderItem, PaymentStatus, TripayClient,
    TripayConfig, TripayError, TripaySettings,
};
use domain::http_retry::HttpSettings;
use serde_json::{Value, json};
use wiremock::matchers::{bearer_token, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_KEY: &str = "DEV-k3yForTheMockOnly0123456789";
// The merchant and private key of the integration notes' worked example, whose create
// signature for INV-2024-000123 and 150 000 was computed there (and again with Python).
const MERCHANT_CODE: &str = "T12345";
const PRIVATE_KEY: &str = "AbCdE-12345-FgHiJ-67890-KlMnO";
const MERCHANT_REF: &str = "INV-2024-000123";
const SIGNATURE: &str = "71d47c94110362ad92a405242b73024a6a60c70a0065fb2e1f7c5ad6c8bf4dc0";
const ATTEMPTS: u32 = 3;

fn settings() -> TripaySettings {
    TripaySettings {
        http: HttpSettings {
            timeout: Duration::from_millis(400),
            attempts: ATTEMPTS,
            backoff_base: Duration::from_millis(5),
            backoff_cap: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(2),
        },
        ..TripaySettings::default()
    }
}

fn client_with(server: &MockServer, settings: TripaySettings) -> TripayClient {
    TripayClient::with_settings(
        TripayConfig {
            api_key: API_KEY.into(),
            private_key: PRIVATE_KEY.into(),
            merchant_code: MERCHANT_CODE.into(),
            // As the sandbox is addressed, trailing slash included.
            base_url: format!("{}/api-sandbox/", server.uri()),
        },
        settings,
    )
    .unwrap()
}

fn client(server: &MockServer) -> TripayClient {
    client_with(server, settings())
}

fn success(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({ "success": true, "message": "", "data": data }))
}

fn failure(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "success": false, "message": message }))
}

fn channels_fixture() -> Value {
    json!([
        {
            "group": "Virtual Account",
            "code": "BNIVA",
            "name": "BNI Virtual Account",
            "type": "direct",
            "fee_merchant": { "flat": 0, "percent": 0 },
            "fee_customer": { "flat": 4000, "percent": 0 },
            "total_fee": { "flat": 4000, "percent": "0.00" },
            "minimum_fee": null,
            "maximum_fee": null,
            "minimum_amount": 10000,
            "maximum_amount": 50000000,
            "icon_url": "https://tripay.co.id/images/payment-channel/bniva.png",
            "active": true
        },
        {
            "group": "E-Wallet",
            "code": "QRIS",
            "name": "QRIS by ShopeePay",
            "type": "direct",
            "fee_merchant": { "flat": 0, "percent": 0 },
            "fee_customer": { "flat": 750, "percent": 0.7 },
            "total_fee": { "flat": 750, "percent": "0.70" },
            "minimum_fee": 750,
            "maximum_fee": null,
            "minimum_amount": 1000,
            "maximum_amount": 5000000,
            "icon_url": "https://tripay.co.id/images/payment-channel/qris.png",
            "active": true
        },
        {
            "group": "E-Wallet",
            "code": "OVO",
            "name": "OVO",
            "type": "redirect",
            "fee_merchant": { "flat": 0, "percent": 0 },
            "fee_customer": { "flat": 0, "percent": "3.00" },
            "total_fee": { "flat": 0, "percent": "3.00" },
            "minimum_fee": null,
            "maximum_fee": null,
            "icon_url": "https://tripay.co.id/images/payment-channel/ovo.png",
            "active": false
        }
    ])
}

/// Two lines adding up to 150 000, the worked example's amount.
fn new_transaction(channel: &str) -> NewTransaction {
    NewTransaction {
        method: channel.into(),
        merchant_ref: MERCHANT_REF.into(),
        amount: 150_000,
        customer_name: "Dewi Lestari".into(),
        customer_email: "dewi@example.test".into(),
        customer_phone: Some("081298765432".into()),
        order_items: vec![
            OrderItem {
                sku: Some("VPS-S2".into()),
                name: "VPS 2 vCPU / 2 GB, Jakarta".into(),
                price: 120_000,
                quantity: 1,
            },
            OrderItem {
                sku: None,
                name: "Snapshot harian".into(),
                price: 15_000,
                quantity: 2,
            },
        ],
        callback_url: Some("https://panel.example.test/api/v1/payments/tripay/callback".into()),
        return_url: None,
        expired_time: 1_767_225_600,
    }
}

/// A QRIS transaction whose fee the customer pays: Tripay's `amount` includes it.
fn qris_created() -> Value {
    json!({
        "reference": "DEV-T12345000000QRSTU",
        "merchant_ref": MERCHANT_REF,
        "payment_selection_type": "static",
        "payment_method": "QRIS",
        "payment_name": "QRIS by ShopeePay",
        "customer_name": "Dewi Lestari",
        "customer_email": "dewi@example.test",
        "customer_phone": "081298765432",
        "callback_url": "https://panel.example.test/api/v1/payments/tripay/callback",
        "return_url": null,
        "amount": 151800,
        "fee_merchant": 0,
        "fee_customer": 1800,
        "total_fee": 1800,
        "amount_received": 150000,
        "pay_code": null,
        "pay_url": null,
        "checkout_url": "https://tripay.co.id/checkout/DEV-T12345000000QRSTU",
        "status": "UNPAID",
        "expired_time": 1767225600,
        "order_items": [
            { "sku": "VPS-S2", "name": "VPS 2 vCPU / 2 GB, Jakarta", "price": 120000, "quantity": 1, "subtotal": 120000, "product_url": null, "image_url": null },
            { "sku": null, "name": "Snapshot harian", "price": 15000, "quantity": 2, "subtotal": 30000, "product_url": null, "image_url": null }
        ],
        "instructions": [
            { "title": "Pembayaran via QRIS", "steps": ["Buka aplikasi e-wallet atau m-banking", "Pindai kode QR", "Periksa total lalu bayar"] }
        ],
        "qr_string": "00020101021226590013ID.CO.SHOPEE.WWW01189360091800000000000202020303UMI51440014ID.CO.QRIS.WWW0215ID10200000000000303UMI5204481253033605406151800.005802ID5907WEBRANA6007JAKARTA6304ABCD",
        "qr_url": "https://tripay.co.id/qr/DEV-T12345000000QRSTU"
    })
}

/// A BNI VA transaction whose fee the merchant pays.
fn va_created() -> Value {
    json!({
        "reference": "DEV-T12345000000VWXYZ",
        "merchant_ref": MERCHANT_REF,
        "payment_selection_type": "static",
        "payment_method": "BNIVA",
        "payment_name": "BNI Virtual Account",
        "customer_name": "Dewi Lestari",
        "customer_email": "dewi@example.test",
        "customer_phone": "081298765432",
        "callback_url": "https://panel.example.test/api/v1/payments/tripay/callback",
        "return_url": null,
        "amount": 150000,
        "fee_merchant": 4000,
        "fee_customer": 0,
        "total_fee": 4000,
        "amount_received": 146000,
        "pay_code": "8808123456789012",
        "pay_url": null,
        "checkout_url": "https://tripay.co.id/checkout/DEV-T12345000000VWXYZ",
        "status": "UNPAID",
        "expired_time": 1767225600,
        "order_items": [],
        "instructions": [
            { "title": "ATM BNI", "steps": ["Masukkan kartu ATM dan PIN", "Pilih Transfer > Virtual Account Billing", "Masukkan <b>8808123456789012</b>"] },
            { "title": "BNI Mobile Banking", "steps": ["Pilih Transfer", "Pilih Virtual Account Billing"] }
        ],
        "qr_string": null,
        "qr_url": null
    })
}

async fn received_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect()
}

#[tokio::test]
async fn payment_channels_are_read_and_kept_for_an_hour() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api-sandbox/merchant/payment-channel"))
        .and(bearer_token(API_KEY))
        .respond_with(success(channels_fixture()))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let channels = client.payment_channels().await.unwrap();
    assert_eq!(channels.len(), 3);
    let bni = &channels[0];
    assert_eq!(
        (bni.code.as_str(), bni.name.as_str(), bni.group.as_str()),
        ("BNIVA", "BNI Virtual Account", "Virtual Account")
    );
    assert_eq!(bni.kind, ChannelKind::Direct);
    assert!(bni.active);
    assert_eq!((bni.fee_flat, bni.fee_percent), (4_000, 0.0));
    assert_eq!(bni.customer_fee(150_000), 4_000);
    assert_eq!(
        (bni.minimum_amount, bni.maximum_amount),
        (Some(10_000), Some(50_000_000))
    );
    assert!(bni.icon_url.ends_with("bniva.png"));
    assert!(!bni.accepts(9_000));

    let qris = &channels[1];
    assert_eq!(qris.fee_flat, 750);
    assert!((qris.fee_percent - 0.7).abs() < 1e-9);
    // 750 + 0.7 % of 150 000.
    assert_eq!(qris.customer_fee(150_000), 1_800);

    let ovo = &channels[2];
    assert_eq!(ovo.kind, ChannelKind::Redirect);
    assert!(!ovo.active);
    assert!((ovo.fee_percent - 3.0).abs() < 1e-9);
    assert_eq!((ovo.minimum_amount, ovo.maximum_amount), (None, None));

    // From memory, through this client and its clones alike.
    assert_eq!(client.payment_channels().await.unwrap(), channels);
    assert_eq!(client.clone().payment_channels().await.unwrap(), channels);
    server.verify().await;
}

#[tokio::test]
async fn stale_channels_are_fetched_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api-sandbox/merchant/payment-channel"))
        .respond_with(success(channels_fixture()))
        .expect(2)
        .mount(&server)
        .await;
    let client = client_with(
        &server,
        TripaySettings {
            channels_ttl: Duration::ZERO,
            ..settings()
        },
    );
    client.payment_channels().await.unwrap();
    client.payment_channels().await.unwrap();
}

#[tokio::test]
async fn reads_are_retried_after_5xx_and_failures_are_not_cached() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api-sandbox/merchant/payment-channel"))
        .respond_with(
            ResponseTemplate::new(503).set_body_string("<html>Service Unavailable</html>"),
        )
        .up_to_n_times(u64::from(ATTEMPTS))
        .expect(u64::from(ATTEMPTS))
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.payment_channels().await.unwrap_err();
    assert!(
        matches!(&error, TripayError::Unavailable(m) if m.contains("503")),
        "{error:?}"
    );
    assert!(error.is_transient());

    Mock::given(method("GET"))
        .and(path("/api-sandbox/merchant/payment-channel"))
        .respond_with(success(channels_fixture()))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client.payment_channels().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_qris_transaction_is_created_signed_and_read() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .and(bearer_token(API_KEY))
        .and(header("content-type", "application/json"))
        .respond_with(success(qris_created()))
        .expect(1)
        .mount(&server)
        .await;

    let created = client(&server)
        .create_transaction(&new_transaction("QRIS"))
        .await
        .unwrap();

    let sent = received_bodies(&server).await;
    assert_eq!(
        sent,
        vec![json!({
            "method": "QRIS",
            "merchant_ref": MERCHANT_REF,
            "amount": 150000,
            "customer_name": "Dewi Lestari",
            "customer_email": "dewi@example.test",
            "customer_phone": "081298765432",
            "order_items": [
                { "sku": "VPS-S2", "name": "VPS 2 vCPU / 2 GB, Jakarta", "price": 120000, "quantity": 1 },
                { "name": "Snapshot harian", "price": 15000, "quantity": 2 }
            ],
            "callback_url": "https://panel.example.test/api/v1/payments/tripay/callback",
            "expired_time": 1767225600,
            "signature": SIGNATURE,
        })]
    );

    assert_eq!(created.reference, "DEV-T12345000000QRSTU");
    assert_eq!(created.merchant_ref, MERCHANT_REF);
    assert_eq!(created.payment_method, "QRIS");
    assert_eq!(created.amount, 150_000);
    assert_eq!(created.fee_customer, 1_800);
    assert_eq!(created.total_amount, 151_800);
    assert_eq!(created.fee_merchant, 0);
    assert_eq!(created.amount_received, 150_000);
    assert_eq!(created.pay_code, None);
    assert!(created.qr_string.as_deref().unwrap().starts_with("000201"));
    assert_eq!(
        created.qr_url.as_deref(),
        Some("https://tripay.co.id/qr/DEV-T12345000000QRSTU")
    );
    assert_eq!(
        created.checkout_url,
        "https://tripay.co.id/checkout/DEV-T12345000000QRSTU"
    );
    assert_eq!(created.pay_url, None);
    assert_eq!(created.status, PaymentStatus::Unpaid);
    assert_eq!(
        Some(created.expired_time),
        DateTime::from_timestamp(1_767_225_600, 0)
    );
    assert_eq!(created.paid_at, None);
    assert_eq!(created.instructions.len(), 1);
    assert_eq!(created.instructions[0].title, "Pembayaran via QRIS");
    assert_eq!(created.instructions[0].steps.len(), 3);
}

#[tokio::test]
async fn a_virtual_account_transaction_gives_a_pay_code() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .and(bearer_token(API_KEY))
        .respond_with(success(va_created()))
        .expect(1)
        .mount(&server)
        .await;
    let mut request = new_transaction("BNIVA");
    request.customer_phone = None;
    request.callback_url = None;
    request.return_url = Some("https://panel.example.test/invoices/7".into());

    let created = client(&server).create_transaction(&request).await.unwrap();

    let sent = received_bodies(&server).await;
    assert_eq!(sent[0]["method"], "BNIVA");
    assert_eq!(sent[0]["signature"], SIGNATURE);
    assert_eq!(
        sent[0]["return_url"],
        "https://panel.example.test/invoices/7"
    );
    for absent in ["customer_phone", "callback_url"] {
        assert!(sent[0].get(absent).is_none(), "{absent} sent");
    }
    assert_eq!(created.pay_code.as_deref(), Some("8808123456789012"));
    assert_eq!(created.qr_string, None);
    // The merchant pays the fee: the customer pays the amount as asked.
    assert_eq!((created.amount, created.total_amount), (150_000, 150_000));
    assert_eq!(
        (created.fee_merchant, created.amount_received),
        (4_000, 146_000)
    );
    assert_eq!(created.instructions.len(), 2);
    assert_eq!(
        created.instructions[0].steps[2],
        "Masukkan <b>8808123456789012</b>"
    );
}

#[tokio::test]
async fn items_that_do_not_add_up_are_not_sent() {
    let server = MockServer::start().await;
    let mut request = new_transaction("BNIVA");
    request.amount = 149_999;
    let error = client(&server)
        .create_transaction(&request)
        .await
        .unwrap_err();
    assert!(matches!(error, TripayError::Rejected(_)), "{error:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn transaction_detail_reads_a_paid_transaction() {
    let server = MockServer::start().await;
    let mut paid = va_created();
    paid["status"] = json!("PAID");
    // Quirks: a quoted paid_at, a pay code as a bare number, no QR fields at all.
    paid["paid_at"] = json!("1767139200");
    paid["pay_code"] = json!(8_808_123_456_789_012_i64);
    paid.as_object_mut().unwrap().remove("qr_string");
    paid.as_object_mut().unwrap().remove("qr_url");
    Mock::given(method("GET"))
        .and(path("/api-sandbox/transaction/detail"))
        .and(query_param("reference", "DEV-T12345000000VWXYZ"))
        .and(bearer_token(API_KEY))
        .respond_with(success(paid))
        .expect(1)
        .mount(&server)
        .await;

    let found = client(&server)
        .transaction_detail("DEV-T12345000000VWXYZ")
        .await
        .unwrap();
    assert_eq!(found.status, PaymentStatus::Paid);
    assert_eq!(found.paid_at, DateTime::from_timestamp(1_767_139_200, 0));
    assert_eq!(found.pay_code.as_deref(), Some("8808123456789012"));
    assert_eq!((found.qr_string, found.qr_url), (None, None));
    assert_eq!(found.total_amount, 150_000);
}

#[tokio::test]
async fn a_lost_create_is_found_by_merchant_ref() {
    let server = MockServer::start().await;
    let mut listed = qris_created();
    let fields = listed.as_object_mut().unwrap();
    fields.remove("expired_time");
    fields.insert("expired_at".into(), json!(1_767_225_600));
    fields.insert("created_at".into(), json!(1_767_139_000));
    fields.insert("paid_at".into(), Value::Null);
    fields.insert("note".into(), Value::Null);
    Mock::given(method("GET"))
        .and(path("/api-sandbox/merchant/transactions"))
        .and(query_param("merchant_ref", MERCHANT_REF))
        .and(bearer_token(API_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "message": "Success",
            "data": [listed],
            "pagination": {
                "sort": "desc", "offset": { "from": 1, "to": 1 }, "current_page": 1,
                "previous_page": null, "next_page": null, "last_page": 1, "per_page": 50,
                "total_records": 1
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let found = client(&server)
        .transactions_by_merchant_ref(MERCHANT_REF)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].reference, "DEV-T12345000000QRSTU");
    assert_eq!(
        Some(found[0].expired_time),
        DateTime::from_timestamp(1_767_225_600, 0)
    );
}

#[tokio::test]
async fn a_bad_api_key_is_unauthorized_with_a_message_for_admins() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api-sandbox/merchant/payment-channel"))
        .respond_with(failure(401, "Invalid API Key"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).payment_channels().await.unwrap_err();
    assert!(matches!(&error, TripayError::Unauthorized(_)), "{error:?}");
    let shown = error.to_string();
    assert!(
        shown.contains("Invalid API Key") && shown.contains("TRIPAY_API_KEY"),
        "{shown}"
    );
    assert!(!shown.contains(API_KEY));
}

#[tokio::test]
async fn success_false_is_rejected_with_tripays_message() {
    let server = MockServer::start().await;
    // With a 200 status…
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .respond_with(failure(200, "Payment channel is not enabled"))
        .expect(1)
        .mount(&server)
        .await;
    // …and with a 4xx.
    Mock::given(method("GET"))
        .and(path("/api-sandbox/transaction/detail"))
        .respond_with(failure(404, "Transaction not found"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let error = client
        .create_transaction(&new_transaction("OVO"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, TripayError::Rejected(m) if m == "Payment channel is not enabled"),
        "{error:?}"
    );
    assert!(!error.is_transient());
    let error = client.transaction_detail("T0000").await.unwrap_err();
    assert!(
        matches!(&error, TripayError::Rejected(m) if m == "Transaction not found"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_create_is_sent_once_despite_a_5xx() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .respond_with(failure(502, "Bad Gateway"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .create_transaction(&new_transaction("BNIVA"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, TripayError::Unavailable(m) if m.contains("502")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_create_is_sent_once_despite_a_timeout_while_reads_try_again() {
    let server = MockServer::start().await;
    let slow = || success(va_created()).set_delay(Duration::from_secs(2));
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .respond_with(slow())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api-sandbox/transaction/detail"))
        .respond_with(slow())
        .expect(u64::from(ATTEMPTS))
        .mount(&server)
        .await;
    let client = client(&server);

    let error = client
        .create_transaction(&new_transaction("BNIVA"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, TripayError::Unavailable(m) if m.contains("no answer")),
        "{error:?}"
    );
    let error = client.transaction_detail("DEV-T1").await.unwrap_err();
    assert!(matches!(error, TripayError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn an_unreachable_tripay_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = TripayClient::with_settings(
        TripayConfig {
            api_key: API_KEY.into(),
            private_key: PRIVATE_KEY.into(),
            merchant_code: MERCHANT_CODE.into(),
            base_url: format!("http://127.0.0.1:{port}/api-sandbox"),
        },
        settings(),
    )
    .unwrap();
    let error = client.payment_channels().await.unwrap_err();
    assert!(
        matches!(&error, TripayError::Unavailable(m) if m.contains("cannot connect")),
        "{error:?}"
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out_then_reported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api-sandbox/merchant/payment-channel"))
        .respond_with(failure(429, "Too Many Requests").insert_header("retry-after", "0"))
        .expect(u64::from(ATTEMPTS))
        .mount(&server)
        .await;
    // A wait longer than we hold a request for goes back to the caller at once.
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .respond_with(failure(429, "Too Many Requests").insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.payment_channels().await.unwrap_err();
    assert!(matches!(error, TripayError::RateLimited), "{error:?}");
    let error = client
        .create_transaction(&new_transaction("BNIVA"))
        .await
        .unwrap_err();
    assert!(matches!(error, TripayError::RateLimited), "{error:?}");
}

#[tokio::test]
async fn a_429_create_is_sent_again_since_tripay_did_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .respond_with(failure(429, "Too Many Requests"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .respond_with(success(va_created()))
        .expect(1)
        .mount(&server)
        .await;
    let created = client(&server)
        .create_transaction(&new_transaction("BNIVA"))
        .await
        .unwrap();
    assert_eq!(created.reference, "DEV-T12345000000VWXYZ");
}

#[tokio::test]
async fn malformed_answers_are_errors_not_panics() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api-sandbox/merchant/payment-channel"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string("{\"success\": true, \"data\": [{"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api-sandbox/transaction/detail"))
        .and(query_param("reference", "not-an-object"))
        .respond_with(success(json!("DEV-T12345000000VWXYZ")))
        .mount(&server)
        .await;
    let mut unknown_status = va_created();
    unknown_status["status"] = json!("SETTLING");
    Mock::given(method("GET"))
        .and(path("/api-sandbox/transaction/detail"))
        .and(query_param("reference", "unknown-status"))
        .respond_with(success(unknown_status))
        .mount(&server)
        .await;
    let mut fractional = va_created();
    fractional["amount"] = json!("150000.50");
    Mock::given(method("GET"))
        .and(path("/api-sandbox/transaction/detail"))
        .and(query_param("reference", "fractional"))
        .respond_with(success(fractional))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api-sandbox/transaction/create"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let error = client.payment_channels().await.unwrap_err();
    assert!(matches!(error, TripayError::Malformed(_)), "{error:?}");
    for reference in ["not-an-object", "unknown-status", "fractional"] {
        let error = client.transaction_detail(reference).await.unwrap_err();
        assert!(
            matches!(error, TripayError::Malformed(_)),
            "{reference}: {error:?}"
        );
    }
    let error = client
        .create_transaction(&new_transaction("BNIVA"))
        .await
        .unwrap_err();
    assert!(matches!(error, TripayError::Malformed(_)), "{error:?}");
}

// --- Callbacks ------------------------------------------------------------------------------

/// A callback in Tripay's compact form, as PHP's `json_encode` writes it (`\/` included).
const CALLBACK: &str = r#"{"reference":"T1234500000000ABCDE","merchant_ref":"WC-2025-000042","payment_method":"QRIS","payment_method_code":"QRIS2","total_amount":"101450","fee_merchant":"0","fee_customer":"1450","total_fee":"1450","amount_received":"100000","is_closed_payment":"1","status":"PAID","paid_at":"1750000000","note":"Dibayar via https:\/\/example.test"}"#;
/// Its signature under the worked example's key, computed with Python's `hmac`.
const CALLBACK_SIGNATURE: &str = "262d0c1b5cc06f9b64b997d39998a3e1ef760f248420248d2aa690bfd86a9873";

#[test]
fn a_callback_is_verified_over_its_raw_bytes() {
    let signature = tripay::callback_signature(PRIVATE_KEY, CALLBACK.as_bytes());
    assert_eq!(signature, CALLBACK_SIGNATURE);
    assert!(tripay::verify_callback(
        PRIVATE_KEY,
        CALLBACK.as_bytes(),
        &signature
    ));

    // Another key, another signature, a changed byte, other whitespace: all refused.
    assert!(!tripay::verify_callback(
        "ZyXwV-98765-UtSrQ-43210-PoNmL",
        CALLBACK.as_bytes(),
        &signature
    ));
    let mut wrong = signature.clone().into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    assert!(!tripay::verify_callback(
        PRIVATE_KEY,
        CALLBACK.as_bytes(),
        std::str::from_utf8(&wrong).unwrap()
    ));
    let tampered = CALLBACK.replace("\"101450\"", "\"101451\"");
    assert!(!tripay::verify_callback(
        PRIVATE_KEY,
        tampered.as_bytes(),
        &signature
    ));
    let respaced =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(CALLBACK).unwrap()).unwrap();
    assert!(!tripay::verify_callback(
        PRIVATE_KEY,
        respaced.as_bytes(),
        &signature
    ));
    let trailing_newline = format!("{CALLBACK}\n");
    assert!(!tripay::verify_callback(
        PRIVATE_KEY,
        trailing_newline.as_bytes(),
        &signature
    ));
    assert_eq!(CALLBACK_EVENT, "payment_status");
}

#[test]
fn callbacks_parse_with_numbers_as_strings_or_as_numbers() {
    let from_strings = tripay::parse_callback(CALLBACK.as_bytes()).unwrap();
    let as_numbers = json!({
        "reference": "T1234500000000ABCDE",
        "merchant_ref": "WC-2025-000042",
        "payment_method": "QRIS",
        "payment_method_code": "QRIS2",
        "total_amount": 101450,
        "fee_merchant": 0,
        "fee_customer": 1450,
        "total_fee": 1450,
        "amount_received": 100000,
        "is_closed_payment": 1,
        "status": "PAID",
        "paid_at": 1750000000,
        "note": "Dibayar via https://example.test"
    });
    let from_numbers = tripay::parse_callback(as_numbers.to_string().as_bytes()).unwrap();
    assert_eq!(from_strings, from_numbers);
    assert_eq!(from_numbers.reference, "T1234500000000ABCDE");
    assert_eq!(from_numbers.merchant_ref, "WC-2025-000042");
    assert_eq!(from_numbers.payment_method, "QRIS2");
    assert_eq!(from_numbers.total_amount, 101_450);
    assert_eq!(
        (from_numbers.fee_merchant, from_numbers.fee_customer),
        (0, 1_450)
    );
    assert_eq!(from_numbers.amount_received, 100_000);
    assert!(from_numbers.is_closed_payment);
    assert_eq!(from_numbers.status, PaymentStatus::Paid);
    assert_eq!(
        from_numbers.paid_at,
        DateTime::from_timestamp(1_750_000_000, 0)
    );
    assert_eq!(
        from_numbers.note.as_deref(),
        Some("Dibayar via https://example.test")
    );

    // Unpaid: no paid_at, no note, an open payment without merchant_ref.
    let expired = br#"{"reference":"T1","payment_method_code":"BCAVAOP","total_amount":50000,"is_closed_payment":0,"status":"EXPIRED","paid_at":null}"#;
    let expired = tripay::parse_callback(expired).unwrap();
    assert_eq!(expired.status, PaymentStatus::Expired);
    assert_eq!((expired.paid_at, expired.note), (None, None));
    assert_eq!(expired.merchant_ref, "");
    assert!(!expired.is_closed_payment);
    assert_eq!(expired.amount_received, 50_000);

    let error = tripay::parse_callback(b"{\"reference\": ").unwrap_err();
    assert!(matches!(error, TripayError::Malformed(_)), "{error:?}");
}
