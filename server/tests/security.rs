//! The security suite, through the real router on both databases: forged tokens, refresh-token
//! theft, role checks (every route without a session, every admin route as a customer, the
//! sockets), CSRF, brute force, e-mail enumeration, security headers.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::auth::{LogIn, RequestPasswordReset, SignUp};
use axum::http::{StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::accounts::inputs::Language;
use domain::both_backends;
use domain::testing::TestDb;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use server::state::WebSettings;
use support::{ADMIN, PASSWORD, api, env, get, login, post_json, server_fn, server_fn_from};
use tokio_tungstenite::tungstenite::Error as WsError;

/// The REST routes for any signed-in caller (the admin ones are [`admin_routes`]).
const SIGNED_IN_ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/ssh-keys"),
    ("POST", "/api/v1/ssh-keys"),
    ("DELETE", "/api/v1/ssh-keys/1"),
    ("GET", "/api/v1/instances"),
    ("GET", "/api/v1/instances/1"),
    ("GET", "/api/v1/instances/1/events"),
    ("POST", "/api/v1/instances/1/actions"),
    ("POST", "/api/v1/instances/1/root-password"),
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
    ("POST", "/api/v1/orders/quote"),
    ("GET", "/api/v1/orders/1"),
    ("GET", "/api/v1/invoices"),
    ("GET", "/api/v1/invoices/1"),
    ("GET", "/api/v1/invoices/1/channels"),
    ("POST", "/api/v1/invoices/1/payments"),
    ("POST", "/api/v1/payments/sandbox/T0001"),
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/notifications/unread-count"),
    ("POST", "/api/v1/notifications/read-all"),
    ("POST", "/api/v1/notifications/1/read"),
    ("GET", "/api/v1/notifications/preferences"),
    ("PUT", "/api/v1/notifications/preferences"),
    ("GET", "/api/v1/telegram"),
    ("POST", "/api/v1/telegram/link"),
    ("DELETE", "/api/v1/telegram/link"),
];

/// A REST log-in as it arrives from `peer`, through a proxy that says it forwards `forwarded_for`.
async fn login_from(
    router: &axum::Router,
    peer: &str,
    forwarded_for: Option<&str>,
    email: &str,
    password: &str,
) -> support::Answer {
    let mut request = axum::http::Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    let body = axum::body::Body::from(json!({ "email": email, "password": password }).to_string());
    let mut request = request.body(body).unwrap();
    let peer = std::net::SocketAddr::new(peer.parse().unwrap(), 40000);
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    support::send(router, request).await
}

fn coupon() -> Value {
    json!({ "code": "merdeka17", "kind": "percent", "amount": 17 })
}

/// Every admin REST route, with a body an admin's request could carry; `user` is suspended.
fn admin_routes(user: i64) -> Vec<(&'static str, String, Option<Value>)> {
    let note = || Some(json!({ "note": "asked by the customer" }));
    let plan = || {
        Some(
            json!({ "name": "Basic", "provider": "sandbox", "size_slug": "sbx-1c-1g", "price_idr_monthly": 75000 }),
        )
    };
    vec![
        ("GET", "/api/v1/admin/users".into(), None),
        (
            "POST",
            format!("/api/v1/admin/users/{user}/suspend"),
            Some(json!({ "suspended": true })),
        ),
        ("POST", "/api/v1/admin/catalog/sync".into(), None),
        ("GET", "/api/v1/admin/catalog/sizes".into(), None),
        ("GET", "/api/v1/admin/plans".into(), None),
        ("POST", "/api/v1/admin/plans".into(), plan()),
        ("GET", "/api/v1/admin/plans/1".into(), None),
        ("PUT", "/api/v1/admin/plans/1".into(), plan()),
        ("DELETE", "/api/v1/admin/plans/1".into(), None),
        ("GET", "/api/v1/admin/instances".into(), None),
        (
            "POST",
            "/api/v1/admin/instances".into(),
            Some(json!({ "user_id": user })),
        ),
        ("GET", "/api/v1/admin/orders".into(), None),
        ("POST", "/api/v1/admin/orders/1/cancel".into(), note()),
        (
            "POST",
            "/api/v1/admin/orders/1/extend".into(),
            Some(json!({ "days": 30, "note": "goodwill" })),
        ),
        ("POST", "/api/v1/admin/orders/1/retry".into(), note()),
        ("GET", "/api/v1/admin/invoices".into(), None),
        ("POST", "/api/v1/admin/invoices/1/mark-paid".into(), note()),
        ("POST", "/api/v1/admin/invoices/1/refund".into(), note()),
        ("GET", "/api/v1/admin/coupons".into(), None),
        ("POST", "/api/v1/admin/coupons".into(), Some(coupon())),
        ("PUT", "/api/v1/admin/coupons/1".into(), Some(coupon())),
    ]
}

/// What admin routes write: audit entries, jobs, coupons, plans, servers, suspended accounts.
async fn admin_writes(test: &TestDb) -> Vec<i64> {
    let mut counts = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM audit_log",
        "SELECT COUNT(*) FROM jobs",
        "SELECT COUNT(*) FROM coupons",
        "SELECT COUNT(*) FROM plans",
        "SELECT COUNT(*) FROM instances",
        "SELECT COUNT(*) FROM users WHERE suspended_at IS NOT NULL",
    ] {
        let count: i64 = domain::db_run!(&test.db, |pool| {
            sqlx::query_scalar(sql).fetch_one(pool).await
        })
        .unwrap();
        counts.push(count);
    }
    counts
}

both_backends! {
    async fn forged_or_expired_access_tokens_get_401(test: TestDb) {
        let env = env(&test).await;
        env.customer("budi@example.com", Language::En).await;
        let token = env.access_token("budi@example.com").await;
        assert_eq!(get(&env.router, "/api/v1/me", Some(&token)).await.status, StatusCode::OK);

        let parts: Vec<&str> = token.split('.').collect();
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let mut payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());

        let none_header = json!({ "alg": "none", "typ": "JWT", "kid": header["kid"] });
        let alg_none = format!("{}.{}.", encode(&none_header), parts[1]);
        payload["role"] = json!("admin");
        let tampered = format!("{}.{}.{}", parts[0], encode(&payload), parts[2]);
        let wrong_key = jsonwebtoken::encode(
            &jsonwebtoken::Header { kid: header["kid"].as_str().map(str::to_owned), ..Default::default() },
            &payload,
            &jsonwebtoken::EncodingKey::from_secret(b"somebody-elses-secret-of-32-bytes!!"),
        ).unwrap();
        let unknown_kid = format!("{}.{}.{}", encode(&json!({ "alg": "HS256", "typ": "JWT", "kid": "nope" })), parts[1], parts[2]);
        payload["role"] = json!("customer");
        payload["exp"] = json!(chrono::Utc::now().timestamp() - 1);
        let expired = format!("{}.{}.{}", parts[0], encode(&payload), parts[2]);

        for (name, forged) in [("alg none", alg_none), ("tampered", tampered), ("wrong key", wrong_key), ("unknown kid", unknown_kid), ("expired", expired), ("garbage", "x.y.z".into())] {
            let answer = get(&env.router, "/api/v1/me", Some(&forged)).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}: {}", answer.body);
            assert_eq!(answer.json()["error"]["code"], "unauthenticated");
        }
    }

    async fn a_replayed_refresh_token_ends_its_whole_family(test: TestDb) {
        let env = env(&test).await;
        env.customer("siti@example.com", Language::En).await;
        let first = login(&env.router, "siti@example.com", PASSWORD).await.json();
        let stolen = first["refresh_token"].as_str().unwrap();
        let second = post_json(&env.router, "/api/v1/auth/refresh", json!({ "refresh_token": stolen }), None).await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        let second = second.json();
        // Age the used token past the two-tabs race window, as a thief's replay would be.
        let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
        domain::db_run!(&test.db, |pool| sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE used_at IS NOT NULL").bind(an_hour_ago).execute(pool).await.map(|_| ())).unwrap();
        let replay = post_json(&env.router, "/api/v1/auth/refresh", json!({ "refresh_token": stolen }), None).await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
        assert_eq!(replay.json()["error"]["code"], "refresh_reused");
        let newest = second["refresh_token"].as_str().unwrap();
        assert_eq!(post_json(&env.router, "/api/v1/auth/refresh", json!({ "refresh_token": newest }), None).await.status, StatusCode::UNAUTHORIZED);
        let access = second["access_token"].as_str().unwrap();
        assert_eq!(get(&env.router, "/api/v1/me", Some(access)).await.status, StatusCode::UNAUTHORIZED);
    }

    async fn customers_get_403_from_admin_routes(test: TestDb) {
        let env = env(&test).await;
        env.customer("andi@example.com", Language::En).await;
        let andi = login(&env.router, "andi@example.com", PASSWORD).await.json();
        let token = andi["access_token"].as_str().unwrap();
        let answer = get(&env.router, "/api/v1/admin/users", Some(token)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert_eq!(get(&env.router, "/api/v1/admin/users", None).await.status, StatusCode::UNAUTHORIZED);
        let suspend = post_json(&env.router, "/api/v1/admin/users/1/suspend", json!({ "suspended": true }), Some(token)).await;
        assert_eq!(suspend.status, StatusCode::FORBIDDEN);

        // Every admin route, asked with what would work for an admin, refuses before it acts.
        let before = admin_writes(&test).await;
        for (method, path, body) in admin_routes(andi["user"]["id"].as_i64().unwrap()) {
            let answer = api(&env.router, method, &path, body, Some(token)).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {path}: {}", answer.body);
            assert_eq!(answer.json()["error"]["code"], "forbidden", "{method} {path}");
        }
        assert_eq!(admin_writes(&test).await, before, "a refused admin route changed something");

        support::admin(&env.state).await;
        let admin = login(&env.router, ADMIN.0, ADMIN.1).await.json();
        let admin = admin["access_token"].as_str().unwrap();
        let answer = get(&env.router, "/api/v1/admin/users?search=andi", Some(admin)).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json().as_array().unwrap().len(), 1);
        for path in ["/api/v1/admin/plans", "/api/v1/admin/instances", "/api/v1/admin/orders", "/api/v1/admin/invoices", "/api/v1/admin/coupons"] {
            let answer = get(&env.router, path, Some(admin)).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        }
        let coupon = post_json(&env.router, "/api/v1/admin/coupons", coupon(), Some(admin)).await;
        assert_eq!(coupon.status, StatusCode::CREATED, "{}", coupon.body);
        let suspended = post_json(&env.router, &format!("/api/v1/admin/users/{}/suspend", andi["user"]["id"]), json!({ "suspended": true }), Some(admin)).await;
        assert_eq!((suspended.status, suspended.json()["suspended"].as_bool()), (StatusCode::OK, Some(true)));
    }

    async fn routes_for_signed_in_callers_answer_401_without_a_session(test: TestDb) {
        let env = env(&test).await;
        let routes = SIGNED_IN_ROUTES.iter().map(|&(method, path)| (method, path.to_owned(), None));
        // No body either: the missing session is what is refused, before any body is read.
        for (method, path, _) in routes.chain(admin_routes(1)) {
            let answer = api(&env.router, method, &path, None, None).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}: {}", answer.body);
            assert_eq!(answer.json()["error"]["code"], "unauthenticated", "{method} {path}");
        }
    }

    async fn the_sockets_refuse_without_a_session(test: TestDb) {
        let env = env(&test).await;
        let address = support::serve(env.router.clone()).await;
        for path in ["/ws/notifications", "/ws/console/1?ticket=anything"] {
            let refused = tokio_tungstenite::connect_async(format!("ws://{address}{path}")).await.map(|_| ()).unwrap_err();
            let WsError::Http(answer) = &refused else { panic!("{path}: expected an HTTP refusal, got {refused}") };
            assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{path}");
            let body = String::from_utf8_lossy(answer.body().as_deref().unwrap_or_default()).into_owned();
            assert!(body.contains("unauthenticated"), "{path}: {body}");
        }
    }

    async fn cross_origin_posts_with_cookies_are_refused(test: TestDb) {
        let env = env(&test).await;
        env.customer("dewi@example.com", Language::En).await;
        let form = "email=dewi%40example.com&password=kopi-tubruk-pagi-7";
        let logged_in = server_fn(&env.router, LogIn::PATH, form, None).await;
        assert_eq!(logged_in.status, StatusCode::OK, "{}", logged_in.body);
        // The two session cookies, which scripts cannot read, and the account's time zone for
        // the pages, which they do.
        let cookies = logged_in.cookies();
        assert_eq!(cookies.len(), 3, "{cookies:?}");
        assert!(cookies.contains(&"tz=Asia/Jakarta".to_owned()), "{cookies:?}");
        let set: Vec<&str> = logged_in.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
        let (session, preferences): (Vec<&str>, Vec<&str>) = set.iter().partition(|v| v.starts_with("webrana_"));
        assert_eq!(session.len(), 2, "{set:?}");
        assert!(session.iter().all(|v| v.contains("HttpOnly") && v.contains("SameSite=Lax")), "{session:?}");
        assert!(preferences.iter().all(|v| !v.contains("HttpOnly") && v.contains("SameSite=Lax")), "{preferences:?}");
        let cookie = cookies.join("; ");

        let logout = app::auth::LogOut::PATH;
        let evil = server_fn_from(&env.router, Some("https://evil.example"), logout, "everywhere=true", Some(&cookie)).await;
        assert_eq!(evil.status, StatusCode::FORBIDDEN);
        assert_eq!(evil.json()["error"]["code"], "csrf");
        let no_origin = server_fn_from(&env.router, None, logout, "everywhere=true", Some(&cookie)).await;
        assert_eq!(no_origin.status, StatusCode::FORBIDDEN);
        // Nothing changed: the session still works.
        let me = server_fn(&env.router, app::auth::CurrentUser::PATH, "", Some(&cookie)).await;
        assert_eq!(me.json()["email"], "dewi@example.com");
        let own = server_fn(&env.router, logout, "everywhere=true", Some(&cookie)).await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    }

    async fn cross_site_forms_cannot_log_a_visitor_in_or_sign_them_up(test: TestDb) {
        let env = env(&test).await;
        env.customer("mallory@example.com", Language::En).await;
        let form = format!("email=mallory%40example.com&password={PASSWORD}");
        for origin in ["https://evil.example", "null"] {
            let login_csrf = server_fn_from(&env.router, Some(origin), LogIn::PATH, &form, None).await;
            assert_eq!(login_csrf.status, StatusCode::FORBIDDEN, "{origin}: {}", login_csrf.body);
            assert_eq!(login_csrf.json()["error"]["code"], "csrf");
            assert!(login_csrf.cookies().is_empty(), "no session was set");
        }
        let sign_up = "name=Mallory&email=victim%40example.com&password=kopi-tubruk-pagi-7&language=id";
        let refused = server_fn_from(&env.router, Some("https://evil.example"), SignUp::PATH, sign_up, None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let users: i64 = domain::db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'victim@example.com'").fetch_one(pool).await
        })
        .unwrap();
        assert_eq!(users, 0);
        // A REST log-in naming another site is refused too; a program (no Origin) and our own
        // pages are not.
        let request = axum::http::Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, "https://evil.example")
            .body(axum::body::Body::from(json!({ "email": "mallory@example.com", "password": PASSWORD }).to_string()))
            .unwrap();
        assert_eq!(support::send(&env.router, request).await.status, StatusCode::FORBIDDEN);
        assert_eq!(login(&env.router, "mallory@example.com", PASSWORD).await.status, StatusCode::OK);
        let ours = server_fn(&env.router, LogIn::PATH, &form, None).await;
        assert_eq!(ours.status, StatusCode::OK, "{}", ours.body);
    }

    async fn a_guesser_is_slowed_and_the_owner_still_gets_in(test: TestDb) {
        let env = env(&test).await;
        env.customer("eko@example.com", Language::En).await;
        let guessing = |ip: &'static str, email: &'static str| {
            let router = &env.router;
            async move {
                let mut statuses = Vec::new();
                for _ in 0..12 {
                    let answer = login_from(router, ip, None, email, "guessing-password-1").await;
                    if answer.status == StatusCode::TOO_MANY_REQUESTS {
                        let retry_after: u64 = answer.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
                        assert!((1..=60).contains(&retry_after), "a short wait: {retry_after}");
                    }
                    statuses.push(answer.status.as_u16());
                }
                statuses
            }
        };
        let known = guessing("203.0.113.9", "eko@example.com").await;
        assert_eq!(&known[..10], &[401; 10], "a few guesses…");
        assert_eq!(&known[10..], &[429; 2], "…then a wait");
        let unknown = guessing("203.0.113.10", "nobody@example.com").await;
        assert_eq!(unknown, known, "nothing tells a registered address from another");
        let owner = login_from(&env.router, "198.51.100.20", None, "eko@example.com", PASSWORD).await;
        assert_eq!(owner.status, StatusCode::OK, "the owner, from elsewhere, is not held up: {}", owner.body);
        let owner_v6 = login_from(&env.router, "2001:db8:5:6::1", None, "eko@example.com", PASSWORD).await;
        assert_eq!(owner_v6.status, StatusCode::OK, "{}", owner_v6.body);
    }

    async fn behind_our_proxy_each_client_is_itself_and_others_cannot_pretend(test: TestDb) {
        let env = env(&test).await;
        env.customer("joko@example.com", Language::En).await;
        let proxied = WebSettings { trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()], ..support::web_settings() };
        let router = support::router_with_web(env.state.clone(), proxied);
        // Through the proxy: the guesser is slowed, the owner behind the same proxy is not.
        let mut statuses = Vec::new();
        for _ in 0..11 {
            statuses.push(login_from(&router, "10.0.0.5", Some("203.0.113.9"), "joko@example.com", "guessing-password-1").await.status.as_u16());
        }
        assert_eq!(&statuses[..10], &[401; 10]);
        assert_eq!(statuses[10], 429);
        let owner = login_from(&router, "10.0.0.5", Some("6.6.6.6, 198.51.100.20"), "joko@example.com", PASSWORD).await;
        assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
        let logged: Option<String> = domain::db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT ip FROM audit_log WHERE action = 'login' ORDER BY id DESC LIMIT 1").fetch_optional(pool).await
        })
        .unwrap();
        assert_eq!(logged.as_deref(), Some("198.51.100.20"), "the audit log names the client, not the proxy");

        // Not through our proxy: a made-up X-Forwarded-For changes nothing.
        let mut statuses = Vec::new();
        for n in 0..11 {
            statuses.push(login_from(&router, "203.0.113.50", Some(&format!("198.51.100.{n}")), "joko@example.com", "guessing-password-1").await.status.as_u16());
        }
        assert_eq!(statuses[10], 429, "still one client: {statuses:?}");
    }

    async fn sign_up_and_reset_answer_the_same_for_known_and_unknown_emails(test: TestDb) {
        let env = env(&test).await;
        env.customer("fajar@example.com", Language::En).await;
        let reset = |email: &'static str| server_fn(&env.router, RequestPasswordReset::PATH, email, None);
        let known = reset("email=fajar%40example.com").await;
        let unknown = reset("email=nobody%40example.com").await;
        assert_eq!((known.status, known.body.as_str()), (unknown.status, unknown.body.as_str()));
        assert_eq!(known.status, StatusCode::OK);

        let signup = |email: &str| {
            let form = format!("name=Fajar&email={email}&password=kopi-tubruk-pagi-7&language=id");
            let router = env.router.clone();
            async move { server_fn(&router, SignUp::PATH, &form, None).await }
        };
        let again = signup("fajar%40example.com").await;
        let fresh = signup("baru%40example.com").await;
        assert_eq!((again.status, again.body.as_str()), (fresh.status, fresh.body.as_str()));
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    }

    async fn one_address_is_signed_up_and_mailed_a_few_times_a_day_at_most(test: TestDb) {
        let env = env(&test).await;
        let signup = |email: &str| {
            let form = format!("name=Gita&email={email}&password=kopi-tubruk-pagi-7&language=id");
            let router = env.router.clone();
            async move { server_fn(&router, SignUp::PATH, &form, None).await }
        };
        let mails_to = |email: &'static str| {
            let db = test.db.clone();
            async move {
                let count: i64 = domain::db_run!(&db, |pool| {
                    sqlx::query_scalar("SELECT COUNT(*) FROM emails WHERE to_address = $1").bind(email).fetch_one(pool).await
                })
                .unwrap();
                count
            }
        };
        for _ in 0..3 {
            let answer = signup("gita%40example.com").await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        }
        let refused = signup("gita%40example.com").await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
        let retry_after: u64 = refused.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!(retry_after >= 60, "the per-address allowance refills hourly: {retry_after}");
        assert_eq!(mails_to("gita@example.com").await, 3, "the refused sign-up mailed nothing");
        let other = signup("hana%40example.com").await;
        assert_eq!(other.status, StatusCode::OK, "another address is not held up: {}", other.body);
    }

    async fn over_https_the_session_cookies_are_host_only(test: TestDb) {
        let env = env(&test).await;
        env.customer("intan@example.com", Language::En).await;
        let https = WebSettings { secure_cookies: true, ..support::web_settings() };
        let router = support::router_with_web(env.state.clone(), https);
        let form = format!("email=intan%40example.com&password={PASSWORD}");
        let logged_in = server_fn(&router, LogIn::PATH, &form, None).await;
        assert_eq!(logged_in.status, StatusCode::OK, "{}", logged_in.body);
        let set: Vec<&str> = logged_in.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).filter(|v| !v.starts_with("tz=")).collect();
        assert_eq!(set.len(), 2, "{set:?}");
        for cookie in &set {
            assert!(cookie.starts_with("__Host-webrana_"), "{cookie}");
            assert!(cookie.contains("; Path=/;") && cookie.ends_with("; Secure") && !cookie.contains("Domain"), "{cookie}");
        }
        let cookies = logged_in.cookies().join("; ");
        let me = server_fn(&router, app::auth::CurrentUser::PATH, "", Some(&cookies)).await;
        assert_eq!(me.json()["email"], "intan@example.com");
        // The same tokens under the plain names, as a sibling subdomain could plant them, are no session.
        let planted = cookies.replace("__Host-", "");
        let me = server_fn(&router, app::auth::CurrentUser::PATH, "", Some(&planted)).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        assert_eq!(me.json(), Value::Null);
    }

    async fn with_smtp_admins_see_who_was_mailed_but_not_what(test: TestDb) {
        for smtp_delivery in [false, true] {
            let config = domain::DomainConfig { smtp_delivery, ..support::config() };
            let env = support::start(&test, &config).await;
            if !smtp_delivery {
                support::admin(&env.state).await;
            }
            let email = format!("yuni-{smtp_delivery}@example.com");
            env.customer(&email, Language::En).await;
            let admin = support::session_cookies(&env.router, ADMIN.0, ADMIN.1).await;
            let form = format!("to={}", email.replace('@', "%40"));
            let outbox = server_fn(&env.router, app::admin::AdminOutbox::PATH, &form, Some(&admin)).await;
            assert_eq!(outbox.status, StatusCode::OK, "{}", outbox.body);
            let mails = outbox.json();
            let mail = &mails.as_array().unwrap()[0];
            assert_eq!(mail["to"], email.as_str());
            if smtp_delivery {
                assert_eq!(mail["body_text"], Value::Null, "{mail}");
                assert!(!outbox.body.contains("token="), "{}", outbox.body);
            } else {
                assert!(mail["body_text"].as_str().unwrap().contains("verify-email?token="), "the dev outbox shows the link");
            }
        }
    }

    async fn html_responses_carry_security_headers_and_a_script_nonce(test: TestDb) {
        let env = env(&test).await;
        let answer = get(&env.router, "/", None).await;
        let csp = answer.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
        assert!(answer.body.contains(&format!("nonce=\"{nonce}\"")), "hydration script lacks the nonce");
        assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(answer.headers[header::REFERRER_POLICY], "strict-origin-when-cross-origin");
        assert_eq!(answer.headers["cross-origin-opener-policy"], "same-origin");
        let permissions = answer.headers["permissions-policy"].to_str().unwrap();
        for denied in ["camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"] {
            assert!(permissions.contains(denied), "{permissions}");
        }
        assert!(permissions.contains("clipboard-write=(self)"), "the console and copy buttons write the clipboard: {permissions}");
        let again = get(&env.router, "/", None).await;
        assert_ne!(again.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap(), csp, "a fresh nonce per response");
    }
}

both_backends! {
    async fn admins_see_and_retry_dead_jobs_and_customers_cannot(test: TestDb) {
        let env = env(&test).await;
        let mut tx = test.db.begin().await.unwrap();
        let id = domain::jobs::enqueue(&mut tx, "provision", &json!({}), chrono::Utc::now(), 1).await.unwrap();
        tx.commit().await.unwrap();
        let no_handlers = domain::jobs::Registry::default();
        let job = domain::jobs::claim(&test.db, &no_handlers, "w", chrono::Duration::minutes(5)).await.unwrap().unwrap();
        domain::jobs::fail(&test.db, &no_handlers, &job, "w", "provider said no").await.unwrap();

        env.customer("gita@example.com", Language::En).await;
        let customer_cookie = env.session_cookies("gita@example.com").await;
        let denied = server_fn(&env.router, app::admin::AdminJobs::PATH, "state_filter=&kind=", Some(&customer_cookie)).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
        let denied = server_fn(&env.router, app::admin::AdminRetryJob::PATH, &format!("id={id}"), Some(&customer_cookie)).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);

        support::admin(&env.state).await;
        let admin_cookie = support::session_cookies(&env.router, ADMIN.0, ADMIN.1).await;
        let listed = server_fn(&env.router, app::admin::AdminJobs::PATH, "state_filter=dead&kind=", Some(&admin_cookie)).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        assert_eq!(listed.json()[0]["last_error"], "provider said no");
        let retried = server_fn(&env.router, app::admin::AdminRetryJob::PATH, &format!("id={id}"), Some(&admin_cookie)).await;
        assert_eq!(retried.json(), json!(true));
        assert_eq!(domain::jobs::list(&test.db, Some("queued"), Some("provision"), 10).await.unwrap().len(), 1);
    }
}
