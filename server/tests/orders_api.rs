//! `/api/v1/orders`, `/api/v1/invoices` and the payment callback through the real router on both
//! databases: a customer orders, pays through the sandbox gateway and the callback endpoint
//! settles it once; forged, replayed, mismatched and malformed callbacks are answered as Tripay
//! expects and change nothing; another customer's invoice is not found; admins settle by hand.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::i18n::Lang;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::accounts::Role;
use domain::accounts::inputs::Language;
use domain::billing::tripay;
use domain::caller::{Caller, ClientInfo};
use domain::jobs::Registry;
use domain::testing::{TestDb, sandbox_plan_input};
use domain::{DomainConfig, both_backends, db_run};
use serde_json::{Value, json};
use support::ADMIN;

const BUDI: &str = "budi@webrana.test";
const SARI: &str = "sari@webrana.test";

struct Env {
    router: Router,
    state: domain::AppState,
    admin: String,
    budi: String,
    sari: String,
    plan_id: i64,
}

async fn call(
    router: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let answer = support::api(router, method, path, body, token).await;
    (
        answer.status,
        serde_json::from_str(&answer.body).unwrap_or(Value::Null),
    )
}

async fn env(test: &TestDb) -> Env {
    env_at(test, support::ORIGIN.to_owned()).await
}

/// [`env`] for an installation reached at `public_url` (where the sandbox posts its callbacks).
async fn env_at(test: &TestDb, public_url: String) -> Env {
    let config = DomainConfig {
        public_url,
        providers: support::instant_sandbox(&test.db),
        ..support::config()
    };
    let support::Env { router, state } = support::start(test, &config).await;
    support::admin(&state).await;
    for email in [BUDI, SARI] {
        support::customer(&state, email, Language::Id).await;
    }
    // Both have confirmed their e-mail addresses.
    support::verify_every_email(&test.db).await;
    let admin = state
        .accounts
        .find_by_email(
            &Caller {
                user_id: 0,
                session_id: 0,
                role: Role::Admin,
                email_verified: true,
            },
            ADMIN.0,
        )
        .await
        .unwrap();
    state.catalog.sync_provider("sandbox").await.unwrap();
    let plan = state
        .catalog
        .create_plan(
            &Caller {
                user_id: admin.id,
                session_id: 0,
                role: Role::Admin,
                email_verified: true,
            },
            &ClientInfo::default(),
            &sandbox_plan_input("Nano", &["sbx-jkt1"], &["ubuntu-24-04-x64"]),
        )
        .await
        .unwrap();
    Env {
        admin: support::access_token(&router, ADMIN.0, ADMIN.1).await,
        budi: support::access_token(&router, BUDI, support::PASSWORD).await,
        sari: support::access_token(&router, SARI, support::PASSWORD).await,
        plan_id: plan.id,
        router,
        state,
    }
}

fn order(env: &Env, hostname: &str, months: i64) -> Value {
    json!({ "plan_id": env.plan_id, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": hostname, "period_months": months })
}

/// Posts `body` to the callback endpoint exactly as given, with Tripay's headers.
async fn callback(
    router: &Router,
    body: &[u8],
    signature: &str,
    event: &str,
) -> (StatusCode, Value) {
    let request = Request::post(domain::billing::CALLBACK_PATH)
        .header("content-type", "application/json")
        .header("x-callback-signature", signature)
        .header("x-callback-event", event)
        .body(Body::from(body.to_vec()))
        .unwrap();
    let answer = support::send(router, request).await;
    (
        answer.status,
        serde_json::from_str(&answer.body).unwrap_or(Value::Null),
    )
}

fn paid_body(reference: &str, invoice_number: &str, total: i64, status: &str) -> Vec<u8> {
    format!(
        r#"{{"reference":"{reference}","merchant_ref":"{invoice_number}","payment_method":"QRIS","payment_method_code":"QRIS","total_amount":{total},"fee_merchant":0,"fee_customer":0,"total_fee":0,"amount_received":{total},"is_closed_payment":1,"status":"{status}","paid_at":1790000000,"note":null}}"#
    )
    .into_bytes()
}

both_backends! {
    async fn a_customer_orders_pays_and_the_callback_settles_it_once(test: TestDb) {
        let env = env(&test).await;
        let (status, _) = call(&env.router, "POST", "/api/v1/orders", None, Some(order(&env, "web-1", 1))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, refused) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, "web-1", 2))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("period_invalid")));
        let (status, quote) = call(&env.router, "POST", "/api/v1/orders/quote", Some(&env.budi), Some(order(&env, "web-1", 1))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(quote["total"], json!(83_250));

        let (status, placed) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, "web-1", 1))).await;
        assert_eq!(status, StatusCode::CREATED, "{placed}");
        let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
        let number = placed["invoice"]["number"].as_str().unwrap().to_owned();
        let total = placed["invoice"]["total"].as_i64().unwrap();
        assert_eq!(total, 83_250);
        let (status, _) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, "web-1", 1))).await;
        assert_eq!(status, StatusCode::CONFLICT, "the host name is taken");

        let (_, channels) = call(&env.router, "GET", &format!("/api/v1/invoices/{invoice_id}/channels"), Some(&env.budi), None).await;
        assert!(channels.as_array().unwrap().iter().any(|channel| channel["code"] == "QRIS"));
        // OVO needs a phone number Budi has not given: listed as such, and refused with the field.
        let ovo = channels.as_array().unwrap().iter().find(|channel| channel["code"] == "OVO").unwrap();
        assert_eq!(ovo["phone_needed"], true, "{ovo}");
        let (status, refused) = call(&env.router, "POST", &format!("/api/v1/invoices/{invoice_id}/payments"), Some(&env.budi), Some(json!({ "channel": "OVO" }))).await;
        assert_eq!((status, refused["error"]["code"].as_str(), refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_required"), Some("phone")), "{refused}");
        let (status, payment) = call(&env.router, "POST", &format!("/api/v1/invoices/{invoice_id}/payments"), Some(&env.budi), Some(json!({ "channel": "QRIS" }))).await;
        assert_eq!(status, StatusCode::CREATED, "{payment}");
        let reference = payment["reference"].as_str().unwrap().to_owned();
        for (path, method, body) in [
            (format!("/api/v1/invoices/{invoice_id}"), "GET", None),
            (format!("/api/v1/invoices/{invoice_id}/payments"), "POST", Some(json!({ "channel": "QRIS" }))),
            (format!("/api/v1/orders/{}", placed["order"]["id"]), "GET", None),
        ] {
            let (status, _) = call(&env.router, method, &path, Some(&env.sari), body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path} for another customer");
        }

        let key = domain::billing::sandbox_private_key(&test.db).await.unwrap();
        let paid = paid_body(&reference, &number, total, "PAID");
        let signature = tripay::callback_signature(&key, &paid);
        let forged = tripay::callback_signature("guess", &paid);
        assert_eq!(callback(&env.router, &paid, &forged, "payment_status").await, (StatusCode::FORBIDDEN, json!({ "success": false, "message": "Invalid signature" })));
        let (status, _) = callback(&env.router, &paid, &signature, "payout_status").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let short = paid_body(&reference, &number, total - 1, "PAID");
        let (status, _) = callback(&env.router, &short, &tripay::callback_signature(&key, &short), "payment_status").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let garbage = b"{\"reference\": ".to_vec();
        let (status, _) = callback(&env.router, &garbage, &tripay::callback_signature(&key, &garbage), "payment_status").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, unpaid) = call(&env.router, "GET", &format!("/api/v1/invoices/{invoice_id}"), Some(&env.budi), None).await;
        assert_eq!(unpaid["invoice"]["status"], "unpaid", "refused callbacks change nothing");

        for _ in 0..3 {
            assert_eq!(callback(&env.router, &paid, &signature, "payment_status").await, (StatusCode::OK, json!({ "success": true })));
        }
        let (_, view) = call(&env.router, "GET", &format!("/api/v1/invoices/{invoice_id}"), Some(&env.budi), None).await;
        assert_eq!((view["invoice"]["status"].as_str(), view["payments"][0]["status"].as_str()), (Some("paid"), Some("paid")));
        let (_, detail) = call(&env.router, "GET", &format!("/api/v1/orders/{}", placed["order"]["id"]), Some(&env.budi), None).await;
        let steps: Vec<&str> = detail["events"].as_array().unwrap().iter().map(|event| event["to_status"].as_str().unwrap()).collect();
        assert_eq!(steps, ["pending_payment", "paid"], "three callbacks, one payment");
        let (_, mine) = call(&env.router, "GET", "/api/v1/invoices", Some(&env.budi), None).await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        let (_, none) = call(&env.router, "GET", "/api/v1/invoices", Some(&env.sari), None).await;
        assert!(none.as_array().unwrap().is_empty());

        // The gateway refunds it: the order it paid for is cancelled, once however often told.
        let refund = paid_body(&reference, &number, total, "REFUND");
        let signature = tripay::callback_signature(&key, &refund);
        for _ in 0..2 {
            assert_eq!(callback(&env.router, &refund, &signature, "payment_status").await, (StatusCode::OK, json!({ "success": true })));
        }
        let (_, detail) = call(&env.router, "GET", &format!("/api/v1/orders/{}", placed["order"]["id"]), Some(&env.budi), None).await;
        let steps: Vec<&str> = detail["events"].as_array().unwrap().iter().map(|event| event["to_status"].as_str().unwrap()).collect();
        assert_eq!(steps, ["pending_payment", "paid", "cancelled"], "{detail}");
        assert_eq!(detail["invoices"][0]["status"], "refunded");
    }

    async fn an_admin_completes_a_customers_sandbox_payment_only_on_the_record(test: TestDb) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let env = env_at(&test, format!("http://{}", listener.local_addr().unwrap())).await;
        support::serve_on(listener, env.router.clone());
        let mut references = Vec::new();
        for hostname in ["web-1", "web-2"] {
            let (_, placed) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, hostname, 1))).await;
            let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
            let (status, payment) = call(&env.router, "POST", &format!("/api/v1/invoices/{invoice_id}/payments"), Some(&env.budi), Some(json!({ "channel": "QRIS" }))).await;
            assert_eq!(status, StatusCode::CREATED, "{payment}");
            references.push(payment["reference"].as_str().unwrap().to_owned());
        }
        let complete = |reference: &str, token: &str| {
            let (router, path, token) = (env.router.clone(), format!("/api/v1/payments/sandbox/{reference}"), token.to_owned());
            async move { call(&router, "POST", &path, Some(&token), Some(json!({ "outcome": "pay" }))).await.0 }
        };
        let entries = || async {
            let rows: Vec<(Option<i64>, Option<i64>, Option<String>)> = db_run!(&test.db, |pool| {
                sqlx::query_as("SELECT actor_user_id, subject_user_id, detail FROM audit_log WHERE action = 'sandbox_payment_by_admin'")
                    .fetch_all(pool)
                    .await
            })
            .unwrap();
            rows
        };
        assert_eq!(complete(&references[0], &env.sari).await, StatusCode::NOT_FOUND, "another customer's payment");
        assert_eq!(complete(&references[0], &env.budi).await, StatusCode::NO_CONTENT, "the owner's own");
        assert!(entries().await.is_empty(), "the owner paying is no admin's act");

        assert_eq!(complete(&references[1], &env.admin).await, StatusCode::NO_CONTENT);
        let db = &test.db;
        let user_id = |email: &'static str| async move {
            let id: i64 = db_run!(db, |pool| {
                sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(pool).await
            })
            .unwrap();
            id
        };
        let recorded = entries().await;
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        assert_eq!((recorded[0].0, recorded[0].1), (Some(user_id(ADMIN.0).await), Some(user_id(BUDI).await)));
        let detail = recorded[0].2.clone().unwrap();
        assert!(detail.contains(&references[1]) && detail.ends_with("marked PAID"), "{detail}");
        let (_, mine) = call(&env.router, "GET", "/api/v1/invoices", Some(&env.budi), None).await;
        assert!(mine.as_array().unwrap().iter().all(|invoice| invoice["status"] == "paid"), "{mine}");
    }

    async fn admins_settle_by_hand_and_manage_coupons(test: TestDb) {
        let env = env(&test).await;
        let (_, placed) = call(&env.router, "POST", "/api/v1/orders", Some(&env.sari), Some(order(&env, "db-1", 3))).await;
        let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
        let path = format!("/api/v1/admin/invoices/{invoice_id}/mark-paid");
        let (status, _) = call(&env.router, "POST", &path, Some(&env.sari), Some(json!({ "note": "BCA 12345" }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, empty) = call(&env.router, "POST", &path, Some(&env.admin), Some(json!({ "note": " " }))).await;
        assert_eq!((status, empty["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note_required")));
        let (status, paid) = call(&env.router, "POST", &path, Some(&env.admin), Some(json!({ "note": "BCA transfer 12345" }))).await;
        assert_eq!(status, StatusCode::OK, "{paid}");
        assert_eq!((paid["status"].as_str(), paid["paid_via"].as_str()), (Some("paid"), Some("manual")));
        let (status, again) = call(&env.router, "POST", &path, Some(&env.admin), Some(json!({ "note": "twice" }))).await;
        assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invoice_not_payable")));
        let (_, orders) = call(&env.router, "GET", "/api/v1/admin/orders?status=paid", Some(&env.admin), None).await;
        assert_eq!(orders.as_array().unwrap().len(), 1);
        let (_, unpaid) = call(&env.router, "POST", "/api/v1/orders", Some(&env.sari), Some(order(&env, "db-2", 1))).await;
        let cancel = format!("/api/v1/admin/orders/{}/cancel", unpaid["order"]["id"]);
        let (status, _) = call(&env.router, "POST", &cancel, Some(&env.sari), Some(json!({ "note": "mine" }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, cancelled) = call(&env.router, "POST", &cancel, Some(&env.admin), Some(json!({ "note": "duplicate order" }))).await;
        assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")));
        let (status, again) = call(&env.router, "POST", &cancel, Some(&env.admin), Some(json!({ "note": "again" }))).await;
        assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")));
        let retry = format!("/api/v1/admin/orders/{}/retry", unpaid["order"]["id"]);
        let (status, refused) = call(&env.router, "POST", &retry, Some(&env.admin), Some(json!({ "note": "again" }))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")), "only a failed order is retried");
        let refund = format!("/api/v1/admin/invoices/{invoice_id}/refund");
        let (status, _) = call(&env.router, "POST", &refund, Some(&env.sari), Some(json!({ "note": "mine" }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, refunded) = call(&env.router, "POST", &refund, Some(&env.admin), Some(json!({ "note": "BCA back-transfer 9" }))).await;
        assert_eq!((status, refunded["status"].as_str()), (StatusCode::OK, Some("refunded")), "{refunded}");
        let (status, again) = call(&env.router, "POST", &refund, Some(&env.admin), Some(json!({ "note": "twice" }))).await;
        assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invoice_not_refundable")));
        let today = chrono::Utc::now().date_naive();
        let (_, placed_today) = call(&env.router, "GET", &format!("/api/v1/admin/orders?placed_from={today}&placed_to={today}"), Some(&env.admin), None).await;
        assert_eq!(placed_today.as_array().unwrap().len(), 2);
        let (status, bad_day) = call(&env.router, "GET", "/api/v1/admin/orders?placed_from=27-11-2026", Some(&env.admin), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad_day}");
        let extend = format!("/api/v1/admin/orders/{}/extend", unpaid["order"]["id"]);
        let (status, refused) = call(&env.router, "POST", &extend, Some(&env.admin), Some(json!({ "days": 3, "note": "credit" }))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_running")));

        let coupon = json!({ "code": "merdeka17", "kind": "percent", "amount": 17, "max_uses": 100 });
        let (status, created) = call(&env.router, "POST", "/api/v1/admin/coupons", Some(&env.admin), Some(coupon.clone())).await;
        assert_eq!((status, created["code"].as_str()), (StatusCode::CREATED, Some("MERDEKA17")));
        let (status, _) = call(&env.router, "POST", "/api/v1/admin/coupons", Some(&env.admin), Some(coupon)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, bad) = call(&env.router, "POST", "/api/v1/admin/coupons", Some(&env.admin), Some(json!({ "code": "X", "kind": "percent", "amount": 150 }))).await;
        assert_eq!((status, bad["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("coupon_code_invalid")));
        let mut with_coupon = order(&env, "web-2", 1);
        with_coupon["coupon"] = json!("Merdeka17");
        let (_, quote) = call(&env.router, "POST", "/api/v1/orders/quote", Some(&env.budi), Some(with_coupon)).await;
        // 75 000 − 12 750, then 11 % PPN.
        assert_eq!((quote["discount"].as_i64(), quote["total"].as_i64()), (Some(12_750), Some(69_098)));
    }
}

both_backends! {
    async fn customers_cancel_and_stop_renewing_their_own_orders(test: TestDb) {
        let env = env(&test).await;
        let (_, placed) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, "web-1", 1))).await;
        let order_id = placed["order"]["id"].as_i64().unwrap();
        let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
        let cancel = format!("/api/v1/orders/{order_id}/cancel");
        let renew = format!("/api/v1/orders/{order_id}/auto-renew");

        // Unpaid: auto-renew has nothing to change yet; another customer finds no such order.
        let (status, refused) = call(&env.router, "PUT", &renew, Some(&env.budi), Some(json!({ "enabled": false }))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_running")), "{refused}");
        let (status, _) = call(&env.router, "POST", &cancel, Some(&env.sari), Some(json!({}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Paid by hand and provisioned: the host name confirms ending it; a bad body changes nothing.
        let (status, _) = call(&env.router, "POST", &format!("/api/v1/admin/invoices/{invoice_id}/mark-paid"), Some(&env.admin), Some(json!({ "note": "BCA" }))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, refused) = call(&env.router, "PUT", &renew, Some(&env.budi), Some(json!({ "enabled": "no" }))).await;
        assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("enabled")), "{refused}");
        let (status, off) = call(&env.router, "PUT", &renew, Some(&env.budi), Some(json!({ "enabled": false }))).await;
        assert_eq!((status, off["auto_renew"].as_bool()), (StatusCode::OK, Some(false)), "{off}");
        let (status, refused) = call(&env.router, "POST", &cancel, Some(&env.budi), Some(json!({ "confirm": "web-1" }))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")), "paid, not running yet: {refused}");

        let (_, second) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, "web-2", 1))).await;
        let second_id = second["order"]["id"].as_i64().unwrap();
        let (status, cancelled) = call(&env.router, "POST", &format!("/api/v1/orders/{second_id}/cancel"), Some(&env.budi), Some(json!({}))).await;
        assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{cancelled}");
        let (_, page) = call(&env.router, "GET", &format!("/api/v1/orders/{second_id}"), Some(&env.budi), None).await;
        assert_eq!(page["invoices"][0]["status"], "cancelled", "{page}");
    }
}

both_backends! {
    async fn billing_details_print_on_invoices_and_their_pdf(test: TestDb) {
        let env = env(&test).await;
        let details = "/api/v1/me/billing-details";

        // A bad NPWP is refused and saves nothing, not even the good fields beside it.
        let (status, refused) = call(&env.router, "PUT", details, Some(&env.budi), Some(json!({ "company": "PT Maju Jaya", "npwp": "0123" }))).await;
        assert_eq!((status, refused["error"]["code"].as_str(), refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("npwp_invalid"), Some("npwp")), "{refused}");
        let (_, me) = call(&env.router, "GET", "/api/v1/me", Some(&env.budi), None).await;
        assert_eq!(me["billing"], json!({ "company": null, "address": null, "npwp": null }), "{me}");
        let (status, _) = call(&env.router, "PUT", details, None, Some(json!({ "company": "PT X" }))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Details saved after ordering reach the invoice not yet paid.
        let (_, placed) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, "web-1", 1))).await;
        let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
        let number = placed["invoice"]["number"].as_str().unwrap().to_owned();
        let (status, me) = call(&env.router, "PUT", details, Some(&env.budi), Some(json!({ "company": " PT Maju Jaya ", "address": "Jl. Sudirman 1\nJakarta 10220", "npwp": "012345678901000" }))).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["billing"], json!({ "company": "PT Maju Jaya", "address": "Jl. Sudirman 1\nJakarta 10220", "npwp": "01.234.567.8-901.000" }));
        let (_, page) = call(&env.router, "GET", &format!("/api/v1/invoices/{invoice_id}"), Some(&env.budi), None).await;
        assert_eq!(page["invoice"]["buyer"], me["billing"], "{page}");

        // Its page names a deadline while it can be paid, and not once it is paid.
        let unpaid = support::api(&env.router, "GET", &format!("/invoices/{invoice_id}"), None, Some(&env.budi)).await;
        assert!(unpaid.body.contains(&number) && unpaid.body.contains("data-testid=\"invoice-due\""), "{}", unpaid.body);

        // Paid, the invoice is final: later changes reach only invoices issued after them.
        let (status, _) = call(&env.router, "POST", &format!("/api/v1/admin/invoices/{invoice_id}/mark-paid"), Some(&env.admin), Some(json!({ "note": "BCA" }))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call(&env.router, "PUT", details, Some(&env.budi), Some(json!({ "company": "PT Lain" }))).await;
        assert_eq!(status, StatusCode::OK);
        let (_, page) = call(&env.router, "GET", &format!("/api/v1/invoices/{invoice_id}"), Some(&env.budi), None).await;
        assert_eq!(page["invoice"]["buyer"]["company"], "PT Maju Jaya", "{page}");

        // The PDF at the address the invoice page links, and at the REST API's, for its owner (in
        // their language) and admins; nobody else.
        let pdf = format!("/invoices/{invoice_id}.pdf");
        let answer = support::api(&env.router, "GET", &pdf, None, Some(&env.budi)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.headers["content-type"], "application/pdf");
        assert_eq!(answer.headers["content-disposition"].to_str().unwrap(), format!("inline; filename=\"{number}.pdf\""));
        assert!(answer.bytes.starts_with(b"%PDF-"));
        let text = domain::testing::pdf_text(&answer.bytes);
        for expected in ["TAGIHAN", number.as_str(), "LUNAS", "PT Maju Jaya", "Jl. Sudirman 1", "Jakarta 10220", "NPWP 01.234.567.8-901.000", "PPN 11%", "Total"] {
            assert!(text.contains(expected), "{expected} missing from:\n{text}");
        }
        assert!(!text.contains("PT Lain"), "{text}");
        let answer = support::api(&env.router, "GET", &format!("/api/v1/invoices/{invoice_id}/pdf"), None, Some(&env.admin)).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(domain::testing::pdf_text(&answer.bytes).contains("PT Maju Jaya"));
        for (token, expected) in [(Some(env.sari.as_str()), StatusCode::NOT_FOUND), (None, StatusCode::UNAUTHORIZED)] {
            let answer = support::api(&env.router, "GET", &pdf, None, token).await;
            assert_eq!(answer.status, expected, "{}", answer.body);
            assert!(!answer.bytes.starts_with(b"%PDF"));
        }
        let answer = support::api(&env.router, "GET", "/invoices/abc.pdf", None, Some(&env.budi)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        // The invoice page itself is still the page.
        let answer = support::api(&env.router, "GET", &format!("/invoices/{invoice_id}"), None, Some(&env.budi)).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(answer.body.contains(&number) && !answer.body.contains("data-testid=\"invoice-due\""), "{}", answer.body);
    }
}

both_backends! {
    async fn credit_is_given_by_admins_and_pays_invoices(test: TestDb) {
        let env = env(&test).await;
        let (_, me) = call(&env.router, "GET", "/api/v1/me", Some(&env.budi), None).await;
        let budi = me["id"].as_i64().unwrap();
        let adjust = format!("/api/v1/admin/users/{budi}/credit");

        // Admins only, with an amount and a reason; a bad one changes nothing.
        let (status, _) = call(&env.router, "POST", &adjust, Some(&env.budi), Some(json!({ "amount": 100000, "note": "self" }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, refused) = call(&env.router, "POST", &adjust, Some(&env.admin), Some(json!({ "amount": 100000, "note": "" }))).await;
        assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")), "{refused}");
        let (status, refused) = call(&env.router, "POST", &adjust, Some(&env.admin), Some(json!({ "amount": "banyak", "note": "x" }))).await;
        assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("amount")), "{refused}");
        let (status, refused) = call(&env.router, "POST", &adjust, Some(&env.admin), Some(json!({ "amount": -5, "note": "x" }))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("credit_insufficient")), "{refused}");
        let (status, account) = call(&env.router, "POST", &adjust, Some(&env.admin), Some(json!({ "amount": 100000, "note": "Kompensasi" }))).await;
        assert_eq!((status, account["balance"].as_i64()), (StatusCode::OK, Some(100_000)), "{account}");

        // The customer sees it and pays an invoice with it; the order goes on.
        let (_, placed) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, "kredit-1", 1))).await;
        let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
        let total = placed["invoice"]["total"].as_i64().unwrap();
        let pay = format!("/api/v1/invoices/{invoice_id}/pay-with-credit");
        let (status, _) = call(&env.router, "POST", &pay, Some(&env.sari), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not Sari's");
        let (status, paid) = call(&env.router, "POST", &pay, Some(&env.budi), None).await;
        assert_eq!((status, paid["status"].as_str(), paid["paid_via"].as_str()), (StatusCode::OK, Some("paid"), Some("credit")), "{paid}");
        let (status, again) = call(&env.router, "POST", &pay, Some(&env.budi), None).await;
        assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invoice_not_payable")), "{again}");
        let (_, credit) = call(&env.router, "GET", "/api/v1/credit", Some(&env.budi), None).await;
        assert_eq!(credit["balance"].as_i64(), Some(100_000 - total), "{credit}");
        assert_eq!(credit["entries"][0]["kind"], "invoice_payment");
        assert_eq!(credit["entries"][0]["invoice_number"], placed["invoice"]["number"]);
        assert_eq!(credit["entries"][1]["note"], "Kompensasi");
        let (_, seen) = call(&env.router, "GET", &adjust, Some(&env.admin), None).await;
        assert_eq!(seen, credit);

        // Renewals paid from credit: off until the customer turns it on.
        assert_eq!(credit["pays_renewals"], false);
        let (status, refused) = call(&env.router, "PUT", "/api/v1/credit/renewals", Some(&env.budi), Some(json!({ "enabled": "ya" }))).await;
        assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("enabled")), "{refused}");
        let (status, on) = call(&env.router, "PUT", "/api/v1/credit/renewals", Some(&env.budi), Some(json!({ "enabled": true }))).await;
        assert_eq!((status, on["pays_renewals"].as_bool(), on["balance"].as_i64()), (StatusCode::OK, Some(true), Some(100_000 - total)), "{on}");
        let (_, order_page) = call(&env.router, "GET", &format!("/api/v1/orders/{}", placed["order"]["id"]), Some(&env.budi), None).await;
        assert_ne!(order_page["order"]["status"], "pending_payment", "{order_page}");
    }

    async fn credit_is_topped_up_applied_in_part_and_refunded_to(test: TestDb) {
        let env = env(&test).await;
        // A top-up: an invoice for no order, without tax; a bad amount is refused.
        for (amount, status, code) in [
            (json!(5_000), StatusCode::UNPROCESSABLE_ENTITY, "top_up_amount_invalid"),
            (json!("sepuluh ribu"), StatusCode::BAD_REQUEST, "invalid"),
        ] {
            let (got, refused) = call(&env.router, "POST", "/api/v1/credit/top-ups", Some(&env.budi), Some(json!({ "amount": amount }))).await;
            assert_eq!((got, refused["error"]["code"].as_str()), (status, Some(code)), "{refused}");
        }
        let (status, top_up) = call(&env.router, "POST", "/api/v1/credit/top-ups", Some(&env.budi), Some(json!({ "amount": 40_000 }))).await;
        assert_eq!(status, StatusCode::CREATED, "{top_up}");
        assert_eq!((top_up["purpose"].as_str(), top_up["order_id"].is_null(), top_up["tax"].as_i64(), top_up["total"].as_i64()), (Some("top_up"), true, Some(0), Some(40_000)), "{top_up}");
        let top_up_id = top_up["id"].as_i64().unwrap();
        let (status, refused) = call(&env.router, "POST", &format!("/api/v1/invoices/{top_up_id}/pay-with-credit"), Some(&env.budi), None).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("credit_amount_invalid")), "{refused}");
        let (status, _) = call(&env.router, "POST", &format!("/api/v1/admin/invoices/{top_up_id}/mark-paid"), Some(&env.admin), Some(json!({ "note": "transfer BCA" }))).await;
        assert_eq!(status, StatusCode::OK);
        let (_, credit) = call(&env.router, "GET", "/api/v1/credit", Some(&env.budi), None).await;
        assert_eq!((credit["balance"].as_i64(), credit["entries"][0]["kind"].as_str()), (Some(40_000), Some("top_up")), "{credit}");

        // Part of an order's invoice from credit; the rest is left to pay.
        let (_, placed) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, "sebagian-1", 1))).await;
        let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
        let total = placed["invoice"]["total"].as_i64().unwrap();
        let apply = format!("/api/v1/invoices/{invoice_id}/apply-credit");
        let (status, refused) = call(&env.router, "POST", &apply, Some(&env.budi), Some(json!({ "amount": 0 }))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("credit_amount_invalid")), "{refused}");
        let (status, refused) = call(&env.router, "POST", &apply, Some(&env.budi), Some(json!({ "amount": 40_001 }))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("credit_insufficient")), "{refused}");
        let (status, _) = call(&env.router, "POST", &apply, Some(&env.sari), Some(json!({ "amount": 10_000 }))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not Sari's");
        let (status, part) = call(&env.router, "POST", &apply, Some(&env.budi), Some(json!({ "amount": 40_000 }))).await;
        assert_eq!((status, part["status"].as_str(), part["credit_applied"].as_i64()), (StatusCode::OK, Some("unpaid"), Some(40_000)), "{part}");
        let (_, channels) = call(&env.router, "GET", &format!("/api/v1/invoices/{invoice_id}/channels"), Some(&env.budi), None).await;
        assert!(channels.as_array().is_some_and(|channels| !channels.is_empty()), "the rest is paid through a channel: {channels}");
        let (status, payment) = call(&env.router, "POST", &format!("/api/v1/invoices/{invoice_id}/payments"), Some(&env.budi), Some(json!({ "channel": "QRIS" }))).await;
        assert_eq!((status, payment["amount"].as_i64()), (StatusCode::CREATED, Some(total - 40_000)), "{payment}");
        let (status, _) = call(&env.router, "POST", &format!("/api/v1/admin/invoices/{invoice_id}/mark-paid"), Some(&env.admin), Some(json!({ "note": "sisa lewat transfer" }))).await;
        assert_eq!(status, StatusCode::OK);

        // Refunded to credit: admins only, within what was paid, part then the rest.
        let refund = format!("/api/v1/admin/invoices/{invoice_id}/refund-to-credit");
        let (status, _) = call(&env.router, "POST", &refund, Some(&env.budi), Some(json!({ "amount": 5_000, "note": "saya" }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, refused) = call(&env.router, "POST", &refund, Some(&env.admin), Some(json!({ "amount": total + 1, "note": "terlalu" }))).await;
        assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("amount")), "{refused}");
        let (status, part) = call(&env.router, "POST", &refund, Some(&env.admin), Some(json!({ "amount": 5_000, "note": "Gangguan" }))).await;
        assert_eq!((status, part["status"].as_str(), part["credit_refunded"].as_i64()), (StatusCode::OK, Some("paid"), Some(5_000)), "{part}");
        let (status, rest) = call(&env.router, "POST", &refund, Some(&env.admin), Some(json!({ "note": "Berhenti" }))).await;
        assert_eq!((status, rest["status"].as_str(), rest["credit_refunded"].as_i64()), (StatusCode::OK, Some("refunded"), Some(total)), "{rest}");
        let (_, credit) = call(&env.router, "GET", "/api/v1/credit", Some(&env.budi), None).await;
        assert_eq!((credit["balance"].as_i64(), credit["entries"][0]["kind"].as_str()), (Some(total), Some("refund")), "{credit}");
    }

    async fn a_service_moves_to_a_bigger_plan_through_the_api(test: TestDb) {
        let env = env(&test).await;
        let jobs = domain::instances::worker::register(
            domain::orders::worker::register(Registry::default(), env.state.orders.clone(), env.state.instances.clone()),
            env.state.instances.clone(),
        );
        let mut bigger = sandbox_plan_input("Micro", &["sbx-jkt1"], &["ubuntu-24-04-x64"]);
        bigger.size_slug = "sbx-2c-2g".into();
        bigger.price_idr_monthly = 150_000;
        let admin_id: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(ADMIN.0).fetch_one(pool).await
        }).unwrap();
        let admin = Caller { user_id: admin_id, session_id: 0, role: Role::Admin, email_verified: true };
        let micro = env.state.catalog.create_plan(&admin, &ClientInfo::default(), &bigger).await.unwrap().id;
        let (_, placed) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, "besar-1", 1))).await;
        let order_id = placed["order"]["id"].as_i64().unwrap();
        let resize = format!("/api/v1/orders/{order_id}/resize");
        // Not running yet: nothing to move.
        let (status, options) = call(&env.router, "GET", &resize, Some(&env.budi), None).await;
        assert_eq!((status, options["unavailable"].as_str()), (StatusCode::OK, Some("resize_unavailable")), "{options}");
        let (status, refused) = call(&env.router, "POST", &resize, Some(&env.budi), Some(json!({ "plan_id": micro }))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("resize_unavailable")), "{refused}");
        let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
        call(&env.router, "POST", &format!("/api/v1/admin/invoices/{invoice_id}/mark-paid"), Some(&env.admin), Some(json!({ "note": "transfer BCA" }))).await;
        domain::testing::drain(&env.state.db, &jobs).await;

        let (status, options) = call(&env.router, "GET", &resize, Some(&env.budi), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((options["options"][0]["plan_id"].as_i64(), options["options"][0]["smaller"].as_bool()), (Some(micro), Some(false)), "{options}");
        assert!(options["options"][0]["quote"]["total"].as_i64().unwrap() > 0, "{options}");
        for (token, expected) in [(None, StatusCode::UNAUTHORIZED), (Some(&env.sari), StatusCode::NOT_FOUND), (Some(&env.admin), StatusCode::NOT_FOUND)] {
            let (status, _) = call(&env.router, "GET", &resize, token.map(String::as_str), None).await;
            assert_eq!(status, expected);
        }
        for (body, status, code) in [
            (json!({ "plan_id": "besar" }), StatusCode::BAD_REQUEST, "invalid"),
            (json!({ "plan_id": env.plan_id }), StatusCode::UNPROCESSABLE_ENTITY, "plan_unchanged"),
            (json!({ "plan_id": 999_999 }), StatusCode::NOT_FOUND, "not_found"),
        ] {
            let (got, refused) = call(&env.router, "POST", &resize, Some(&env.budi), Some(body.clone())).await;
            assert_eq!((got, refused["error"]["code"].as_str()), (status, Some(code)), "{body}: {refused}");
        }
        let (status, started) = call(&env.router, "POST", &resize, Some(&env.budi), Some(json!({ "plan_id": micro }))).await;
        assert_eq!((status, started["resize"]["status"].as_str(), started["invoice"]["purpose"].as_str()), (StatusCode::CREATED, Some("awaiting_payment"), Some("resize")), "{started}");
        let resize_invoice = started["invoice"]["id"].as_i64().unwrap();
        let (status, _) = call(&env.router, "POST", &format!("/api/v1/admin/invoices/{resize_invoice}/mark-paid"), Some(&env.admin), Some(json!({ "note": "transfer BCA" }))).await;
        assert_eq!(status, StatusCode::OK);
        domain::testing::drain(&env.state.db, &jobs).await;
        let (_, options) = call(&env.router, "GET", &resize, Some(&env.budi), None).await;
        assert_eq!((options["latest"]["status"].as_str(), options["latest"]["to_plan_name"].as_str()), (Some("done"), Some("Micro")), "{options}");
        let (_, page) = call(&env.router, "GET", &format!("/api/v1/orders/{order_id}"), Some(&env.budi), None).await;
        assert_eq!(page["order"]["plan_name"].as_str(), Some("Micro"), "{page}");
    }

    async fn the_dashboard_shows_what_needs_the_customer(test: TestDb) {
        let env = env(&test).await;
        let m = Lang::Id.messages();
        let budi = support::session_cookies(&env.router, BUDI, support::PASSWORD).await;
        let sari = support::session_cookies(&env.router, SARI, support::PASSWORD).await;
        let dashboard = |cookies: String| {
            let router = env.router.clone();
            async move { support::page(&router, "/dashboard", Some(&cookies)).await }
        };
        let empty = dashboard(budi.clone()).await;
        assert_eq!(empty.status, StatusCode::OK);
        for text in [m.dashboard_attention_none, m.dashboard_no_servers, m.dashboard_no_invoices, m.dashboard_no_renewals] {
            assert!(empty.body.contains(text), "{text}: {}", empty.body);
        }

        // Three orders: their invoices wait to be paid within a day, so they need Budi.
        let mut numbers = Vec::new();
        let mut orders = Vec::new();
        for host in ["web-1", "web-2", "web-3"] {
            let (status, placed) = call(&env.router, "POST", "/api/v1/orders", Some(&env.budi), Some(order(&env, host, 1))).await;
            assert_eq!(status, StatusCode::CREATED, "{placed}");
            numbers.push(placed["invoice"]["number"].as_str().unwrap().to_owned());
            orders.push(placed["order"]["id"].as_i64().unwrap());
        }
        // The first runs and ends in three days with auto-renew off.
        // The third was suspended (its renewal went unpaid).
        db_run!(&env.state.db, |pool| {
            sqlx::query("UPDATE orders SET status = 'suspended' WHERE id = $1")
                .bind(orders[2])
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        let ends = chrono::Utc::now() + chrono::Duration::days(3);
        db_run!(&env.state.db, |pool| {
            sqlx::query("UPDATE orders SET status = 'active', paid_until = $1 WHERE id = $2")
                .bind(ends)
                .bind(orders[0])
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        let (status, answer) = call(&env.router, "PUT", &format!("/api/v1/orders/{}/auto-renew", orders[0]), Some(&env.budi), Some(json!({ "enabled": false }))).await;
        assert_eq!(status, StatusCode::OK, "{answer}");

        let busy = dashboard(budi).await;
        // Turning auto-renew off withdrew web-1's open invoice; web-2's still waits.
        assert!(busy.body.contains(&format!("{}: {}", numbers[1], m.dashboard_attention_invoice_due)), "{}", busy.body);
        assert!(busy.body.contains(&format!(">{}<", numbers[1])), "in the invoices panel: {}", busy.body);
        assert!(!busy.body.contains(&format!("{}: {}", numbers[0], m.dashboard_attention_invoice_due)), "{}", busy.body);
        assert!(busy.body.contains(&format!("web-1: {} {}", m.dashboard_attention_ends, ends.format("%Y-%m-%d"))), "{}", busy.body);
        assert!(busy.body.contains(m.dashboard_ends), "{}", busy.body);
        assert!(busy.body.contains(&format!("web-3: {}", m.dashboard_attention_suspended)), "{}", busy.body);
        assert!(!busy.body.contains(m.dashboard_attention_none) && !busy.body.contains(m.dashboard_no_invoices));

        // Sari sees none of it.
        let other = dashboard(sari).await;
        assert!(other.body.contains(m.dashboard_attention_none), "{}", other.body);
        assert!(numbers.iter().all(|number| !other.body.contains(number.as_str())), "{}", other.body);
    }
}
