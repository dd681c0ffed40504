//! The worked examples of Tripay's notes, the lenient readers, and how answers are judged.

use reqwest::StatusCode;

use super::client::*;
use super::signature::*;
use super::wire::*;

// The worked example of Tripay's integration notes (made-up keys), recomputed with Python's
// `hmac` and `openssl dgst`.
const PRIVATE_KEY: &str = "AbCdE-12345-FgHiJ-67890-KlMnO";
const CALLBACK: &[u8] = br#"{"reference":"DEV-T12345123456ABCDE","merchant_ref":"INV-2024-000123","payment_method":"BRIVA","payment_method_code":"BRIVA","total_amount":154250,"fee_merchant":0,"fee_customer":4250,"total_fee":4250,"amount_received":150000,"is_closed_payment":1,"status":"PAID","paid_at":1718000000,"note":null}"#;
const CALLBACK_SIGNATURE: &str = "0db9480d499bd65b1cc7272d9357836d7d8e6cb7c0af2f2595cda00c5fb3918e";

fn channel(flat: i64, percent: f64) -> PaymentChannel {
    PaymentChannel {
        code: "QRIS".into(),
        name: "QRIS".into(),
        group: "E-Wallet".into(),
        kind: ChannelKind::Direct,
        active: true,
        fee_flat: flat,
        fee_percent: percent,
        merchant_fee_flat: 0,
        merchant_fee_percent: 0.0,
        minimum_fee: None,
        maximum_fee: None,
        minimum_amount: Some(10_000),
        maximum_amount: Some(5_000_000),
        icon_url: String::new(),
    }
}

#[test]
fn transaction_signature_matches_the_worked_example() {
    assert_eq!(
        transaction_signature(PRIVATE_KEY, "T12345", "INV-2024-000123", 150_000),
        "71d47c94110362ad92a405242b73024a6a60c70a0065fb2e1f7c5ad6c8bf4dc0"
    );
}

#[test]
fn callback_signature_matches_the_worked_example() {
    assert_eq!(CALLBACK.len(), 297);
    assert_eq!(
        callback_signature(PRIVATE_KEY, CALLBACK),
        CALLBACK_SIGNATURE
    );
    assert!(verify_callback(PRIVATE_KEY, CALLBACK, CALLBACK_SIGNATURE));
    assert!(verify_callback(
        PRIVATE_KEY,
        CALLBACK,
        &format!(" {} ", CALLBACK_SIGNATURE.to_ascii_uppercase())
    ));
}

#[test]
fn verification_refuses_anything_else() {
    assert!(!verify_callback(
        "another-key",
        CALLBACK,
        CALLBACK_SIGNATURE
    ));
    assert!(!verify_callback(PRIVATE_KEY, CALLBACK, ""));
    assert!(!verify_callback(PRIVATE_KEY, CALLBACK, "not hex at all"));
    assert!(!verify_callback(
        PRIVATE_KEY,
        CALLBACK,
        &CALLBACK_SIGNATURE[..62]
    ));
    assert!(!verify_callback(
        PRIVATE_KEY,
        CALLBACK,
        &format!("{CALLBACK_SIGNATURE}00")
    ));
    // `+a` would pass `u8::from_str_radix`; it is not a hex digit pair.
    let plus = format!("+{}", &CALLBACK_SIGNATURE[1..]);
    assert!(!verify_callback(PRIVATE_KEY, CALLBACK, &plus));
    let mut tampered = CALLBACK.to_vec();
    tampered[100] ^= 1;
    assert!(!verify_callback(PRIVATE_KEY, &tampered, CALLBACK_SIGNATURE));
}

#[test]
fn hex_round_trips() {
    let bytes: Vec<u8> = (0..=255).collect();
    assert_eq!(from_hex(&to_hex(&bytes)), Some(bytes));
    assert_eq!(from_hex("abc"), None);
    assert_eq!(from_hex("zz"), None);
}

#[test]
fn the_worked_callback_parses() {
    let payment = parse_callback(CALLBACK).unwrap();
    assert_eq!(payment.reference, "DEV-T12345123456ABCDE");
    assert_eq!(payment.merchant_ref, "INV-2024-000123");
    assert_eq!(payment.payment_method, "BRIVA");
    assert_eq!(payment.total_amount, 154_250);
    assert_eq!(payment.fee_customer, 4_250);
    assert_eq!(payment.amount_received, 150_000);
    assert!(payment.is_closed_payment);
    assert_eq!(payment.status, PaymentStatus::Paid);
    assert_eq!(payment.paid_at, DateTime::from_timestamp(1_718_000_000, 0));
    assert_eq!(payment.note, None);
}

#[test]
fn callbacks_are_read_leniently() {
    let body = json!({
        "reference": "T0099000000000000042",
        "merchant_ref": "WC-2025-0007",
        "payment_method": "QRIS",
        "payment_method_code": "QRIS2",
        "total_amount": "101450",
        "fee_merchant": "0",
        "fee_customer": 1450,
        "is_closed_payment": "0",
        "status": "paid",
        "paid_at": "1750000000",
        "note": "",
    });
    let payment = parse_callback(body.to_string().as_bytes()).unwrap();
    assert_eq!(payment.payment_method, "QRIS2");
    assert_eq!(payment.total_amount, 101_450);
    assert_eq!(payment.fee_merchant, 0);
    assert_eq!(payment.fee_customer, 1_450);
    // Left out: what the merchant keeps is the total less the merchant's fee.
    assert_eq!(payment.amount_received, 101_450);
    assert!(!payment.is_closed_payment);
    assert_eq!(payment.status, PaymentStatus::Paid);
    assert_eq!(payment.paid_at, DateTime::from_timestamp(1_750_000_000, 0));
    assert_eq!(payment.note, None);

    let minimal = br#"{"reference":"T1","status":"EXPIRED","total_amount":5000.0,"paid_at":null}"#;
    let payment = parse_callback(minimal).unwrap();
    assert_eq!(payment.merchant_ref, "");
    assert_eq!(payment.payment_method, "");
    assert_eq!(payment.total_amount, 5_000);
    assert!(payment.is_closed_payment);
    assert_eq!(payment.status, PaymentStatus::Expired);
    assert_eq!(payment.paid_at, None);
}

#[test]
fn unreadable_callbacks_are_errors() {
    let bodies: [&[u8]; 7] = [
        b"",
        b"not json",
        b"[]",
        br#"{"status":"PAID","total_amount":1}"#,
        br#"{"reference":"T1","status":"PAID"}"#,
        br#"{"reference":"T1","status":"SETTLED","total_amount":1}"#,
        br#"{"reference":"T1","status":"PAID","total_amount":"12.5"}"#,
    ];
    for body in bodies {
        let error = parse_callback(body).unwrap_err();
        assert!(
            matches!(error, TripayError::Malformed(_)),
            "{}: {error:?}",
            String::from_utf8_lossy(body)
        );
    }
    let flag = br#"{"reference":"T1","status":"PAID","total_amount":1,"is_closed_payment":2}"#;
    assert!(parse_callback(flag).is_err());
}

#[test]
fn statuses_parse_in_any_case() {
    for status in [
        PaymentStatus::Unpaid,
        PaymentStatus::Paid,
        PaymentStatus::Expired,
        PaymentStatus::Failed,
        PaymentStatus::Refund,
    ] {
        assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
        assert_eq!(
            PaymentStatus::parse(&status.as_str().to_ascii_lowercase()),
            Some(status)
        );
    }
    assert_eq!(PaymentStatus::parse("REFUNDED"), None);
}

#[test]
fn customer_fee_adds_the_flat_part_and_rounds_the_percentage_up() {
    // The fee calculator's example: 750 + 0.70 % of 100 000.
    assert_eq!(channel(750, 0.7).customer_fee(100_000), 1_450);
    // 0.7 % of 150 001 is 1 050.007: one rupiah more, never less.
    assert_eq!(channel(750, 0.7).customer_fee(150_001), 750 + 1_051);
    assert_eq!(channel(0, 0.7).customer_fee(150_000), 1_050);
    // 2.5 % given as a float that is not exact in binary.
    assert_eq!(channel(0, 2.5).customer_fee(10_001), 251);
    assert_eq!(channel(0, 0.1 + 0.2).customer_fee(100_000), 300);
    assert_eq!(channel(4_250, 0.0).customer_fee(150_000), 4_250);
    assert_eq!(channel(0, 0.0).customer_fee(150_000), 0);
    assert_eq!(channel(0, f64::NAN).customer_fee(150_000), 0);
    assert_eq!(channel(500, 1.0).customer_fee(-10), 500);
    assert_eq!(channel(0, 100.0).customer_fee(i64::MAX), i64::MAX);
    assert_eq!(channel(0, f64::MAX).customer_fee(i64::MAX), i64::MAX);
}

#[test]
fn the_customer_fee_is_held_within_the_channels_minimum_and_maximum() {
    // All on the customer: 0.7 % of 50 000 is 350, lifted to the minimum of 750; 0.7 % of
    // 1 000 000 is 7 000, held to the maximum of 4 500.
    let bounded = PaymentChannel {
        minimum_fee: Some(750),
        maximum_fee: Some(4_500),
        ..channel(0, 0.7)
    };
    assert_eq!(bounded.customer_fee(50_000), 750);
    assert_eq!(bounded.customer_fee(300_000), 2_100);
    assert_eq!(bounded.customer_fee(1_000_000), 4_500);
    // Shared: the customer pays their 2 000 unless the whole fee is held below it.
    let shared = PaymentChannel {
        merchant_fee_flat: 2_250,
        maximum_fee: Some(4_000),
        ..channel(2_000, 0.0)
    };
    assert_eq!(shared.customer_fee(150_000), 2_000);
    let tight = PaymentChannel {
        maximum_fee: Some(1_500),
        ..shared
    };
    assert_eq!(tight.customer_fee(150_000), 1_500);
    // The merchant bears it all: the minimum is theirs.
    let merchant_pays = PaymentChannel {
        merchant_fee_flat: 4_250,
        minimum_fee: Some(4_000),
        ..channel(0, 0.0)
    };
    assert_eq!(merchant_pays.customer_fee(150_000), 0);
}

#[test]
fn channel_limits() {
    let channel = channel(0, 0.0);
    assert!(!channel.accepts(9_999));
    assert!(channel.accepts(10_000));
    assert!(channel.accepts(5_000_000));
    assert!(!channel.accepts(5_000_001));
    let unlimited = PaymentChannel {
        minimum_amount: None,
        maximum_amount: None,
        ..channel
    };
    assert!(unlimited.accepts(1));
}

#[test]
fn channel_fields_are_read_leniently() {
    let raw: RawChannel = serde_json::from_value(json!({
        "group": "Virtual Account",
        "code": "MANDIRIVA",
        "name": "Mandiri Virtual Account",
        "type": "DIRECT",
        "fee_merchant": { "flat": 0, "percent": 0 },
        "fee_customer": { "flat": "4000", "percent": "0.25" },
        "total_fee": { "flat": 4000, "percent": "0.25" },
        "minimum_fee": null,
        "maximum_fee": null,
        "minimum_amount": "10000",
        "icon_url": null,
        "active": 1,
        "some_new_field": [1, 2, 3],
    }))
    .unwrap();
    let channel = raw.into_channel();
    assert_eq!(channel.kind, ChannelKind::Direct);
    assert_eq!(channel.fee_flat, 4_000);
    assert!((channel.fee_percent - 0.25).abs() < 1e-9);
    assert_eq!(channel.minimum_amount, Some(10_000));
    assert_eq!(channel.maximum_amount, None);
    assert_eq!((channel.minimum_fee, channel.maximum_fee), (None, None));
    assert_eq!(channel.merchant_fee_flat, 0);
    assert_eq!(channel.icon_url, "");
    assert!(channel.active);
}

#[test]
fn answers_are_read_by_status_and_success_flag() {
    let ok: Result<Vec<i64>, _> = read_answer(
        StatusCode::OK,
        r#"{"success":true,"message":"","data":[1,2]}"#,
    );
    assert_eq!(ok.unwrap(), vec![1, 2]);
    let refused: Result<Value, _> = read_answer(
        StatusCode::OK,
        r#"{"success":false,"message":"Channel tidak aktif"}"#,
    );
    assert!(matches!(refused, Err(TripayError::Rejected(m)) if m == "Channel tidak aktif"));
    let bad_request: Result<Value, _> =
        read_answer(StatusCode::BAD_REQUEST, r#"{"success":false}"#);
    assert!(matches!(bad_request, Err(TripayError::Rejected(m)) if m.contains("400")));
    let key: Result<Value, _> = read_answer(
        StatusCode::UNAUTHORIZED,
        r#"{"success":false,"message":"Invalid API Key"}"#,
    );
    assert!(matches!(key, Err(TripayError::Unauthorized(m)) if m.contains("Invalid API Key")));
    let html: Result<Value, _> = read_answer(StatusCode::NOT_FOUND, "<html>nope</html>");
    assert!(matches!(html, Err(TripayError::Malformed(_))));
    let flagless: Result<Value, _> = read_answer(StatusCode::OK, r#"{"data":1}"#);
    assert!(matches!(flagless, Err(TripayError::Malformed(_))));
    let dataless: Result<Value, _> = read_answer(StatusCode::OK, r#"{"success":true}"#);
    assert!(matches!(dataless, Err(TripayError::Malformed(_))));
}

#[test]
fn items_must_add_up_to_the_amount() {
    let mut request = NewTransaction {
        method: "BRIVA".into(),
        merchant_ref: "WC-1".into(),
        amount: 200_000,
        customer_name: "Sari".into(),
        customer_email: "sari@example.test".into(),
        customer_phone: None,
        order_items: vec![
            OrderItem {
                sku: None,
                name: "VPS".into(),
                price: 50_000,
                quantity: 3,
            },
            OrderItem {
                sku: None,
                name: "Backup".into(),
                price: 50_000,
                quantity: 1,
            },
        ],
        callback_url: None,
        return_url: None,
        expired_time: 1_800_000_000,
    };
    request.check().unwrap();
    request.amount = 199_999;
    assert!(matches!(request.check(), Err(TripayError::Rejected(_))));
    request.amount = 200_000;
    request.order_items[0].quantity = i64::MAX;
    assert!(matches!(request.check(), Err(TripayError::Rejected(_))));
    request.order_items.clear();
    request.amount = 0;
    assert!(matches!(request.check(), Err(TripayError::Rejected(_))));
}

#[test]
fn debug_hides_the_keys() {
    let config = TripayConfig {
        api_key: "DEV-secret-api-key".into(),
        private_key: "secret-private-key".into(),
        merchant_code: "T12345".into(),
        base_url: SANDBOX_BASE_URL.into(),
    };
    let client = TripayClient::new(config.clone()).unwrap();
    for shown in [format!("{config:?}"), format!("{client:?}")] {
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("T12345"));
    }
}

#[test]
fn error_codes() {
    assert_eq!(TripayError::Unauthorized("x".into()).code(), Code::Internal);
    assert_eq!(
        TripayError::Rejected("x".into()).code(),
        Code::PaymentRejected
    );
    assert_eq!(TripayError::RateLimited.code(), Code::RateLimited);
    assert_eq!(
        TripayError::Unavailable("x".into()).code(),
        Code::PaymentGatewayUnavailable
    );
    assert!(TripayError::Unavailable("x".into()).is_transient());
    assert!(!TripayError::Rejected("x".into()).is_transient());
}

use super::*;
