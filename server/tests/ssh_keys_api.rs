//! SSH keys through the real router on both databases: the REST API with bearer tokens and the
//! account page's server functions with cookies, each refusing strangers and other customers.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::auth::LogIn;
use app::ssh_keys::{AddSshKey, MySshKeys, RemoveSshKey};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::accounts::inputs::Language;
use domain::accounts::{ClientInfo, SignUp};
use domain::testing::TestDb;
use domain::{AppState, DomainConfig, both_backends};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use server::router::{ServerState, WebSettings, router};
use tower::ServiceExt;

const ORIGIN: &str = "http://127.0.0.1:3000";
const PASSWORD: &str = "kopi-tubruk-pagi-7";
// Generated with `ssh-keygen`; fingerprints from `ssh-keygen -lf`.
const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C budi@laptop";
const ED25519_FINGERPRINT: &str = "SHA256:WodgPDn5ds4QcgbC5T636Gl84wAyKPale7CpBHYD7xM";
const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC95tmeuzUhPfiTL319W5WCIoERMUtlnYBbT3YIUJOox5vFkmiBhxjG8zqVCEHp70KUMSRF8qhg2QmectFLcWr7U9OslpKcT4Dq++oYkazvvCiH4dJGCQxLJVNUsDPQq8sF34PUS55YwcU/21emahu1mWjIaN9LqHts7NqDGHeimw== rsa1024";

struct Env {
    router: Router,
    state: AppState,
}

async fn env(test: &TestDb) -> Env {
    let config = DomainConfig {
        public_url: ORIGIN.into(),
        ..Default::default()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let leptos_options = LeptosOptions::builder().output_name("webrana").build();
    let web = WebSettings {
        public_url: ORIGIN.into(),
        secure_cookies: false,
    };
    Env {
        router: router(ServerState {
            leptos_options,
            app: state.clone(),
            web,
        }),
        state,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
        .into_owned();
    Answer {
        status,
        headers,
        body,
    }
}

/// A REST call with an optional JSON body and bearer token.
async fn api(
    router: &Router,
    method: &str,
    path: &str,
    body: Option<Value>,
    bearer: Option<&str>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    send(router, request.body(body).unwrap()).await
}

/// A browser-style server-function call from our own origin.
async fn server_fn(router: &Router, path: &str, form: &str, cookie: Option<&str>) -> Answer {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, ORIGIN);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(router, request.body(Body::from(form.to_owned())).unwrap()).await
}

async fn customer(env: &Env, email: &str) {
    let input = SignUp {
        name: "Budi",
        email,
        password: PASSWORD,
        phone: None,
        language: Language::Id,
    };
    env.state
        .accounts
        .sign_up(input, &ClientInfo::default())
        .await
        .unwrap();
}

async fn access_token(env: &Env, email: &str) -> String {
    let body = json!({ "email": email, "password": PASSWORD });
    let answer = api(&env.router, "POST", "/api/v1/auth/login", Some(body), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["access_token"].as_str().unwrap().to_owned()
}

/// Logs in through the server function and answers the session cookies.
async fn session_cookie(env: &Env, email: &str) -> String {
    let form = format!("email={}&password={PASSWORD}", email.replace('@', "%40"));
    let answer = server_fn(&env.router, LogIn::PATH, &form, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

both_backends! {
    async fn the_rest_api_adds_lists_and_removes_keys(test: TestDb) {
        let env = env(&test).await;
        customer(&env, "budi@example.id").await;
        let token = access_token(&env, "budi@example.id").await;

        let body = json!({ "name": "Laptop", "public_key": ED25519 });
        let added = api(&env.router, "POST", "/api/v1/ssh-keys", Some(body), Some(&token)).await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
        let added = added.json();
        assert_eq!(added["name"], "Laptop");
        assert_eq!(added["fingerprint"], ED25519_FINGERPRINT);
        assert_eq!((added["algorithm"].as_str(), added["bits"].as_i64()), (Some("ed25519"), Some(256)));

        let listed = api(&env.router, "GET", "/api/v1/ssh-keys", None, Some(&token)).await;
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(listed.json(), json!([added.clone()]));

        let again = json!({ "name": "Laptop lama", "public_key": ED25519 });
        let again = api(&env.router, "POST", "/api/v1/ssh-keys", Some(again), Some(&token)).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
        assert_eq!(again.json()["error"]["code"], "ssh_key_duplicate");
        assert_eq!(again.json()["error"]["message"], "this key is already saved as \"Laptop\"");

        let path = format!("/api/v1/ssh-keys/{}", added["id"]);
        let removed = api(&env.router, "DELETE", &path, None, Some(&token)).await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
        let gone = api(&env.router, "DELETE", &path, None, Some(&token)).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        let listed = api(&env.router, "GET", "/api/v1/ssh-keys", None, Some(&token)).await;
        assert_eq!(listed.json(), json!([]));
    }

    async fn bad_keys_get_422_with_a_readable_message(test: TestDb) {
        let env = env(&test).await;
        customer(&env, "budi@example.id").await;
        let token = access_token(&env, "budi@example.id").await;
        let cases = [
            (RSA_1024, "ssh_key_too_weak", "this RSA key has 1024 bits; at least 2048 are required (or use ed25519)"),
            ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "ssh_key_private", "this is a private key; paste the .pub file instead, and keep the private key to yourself"),
            ("hello", "ssh_key_invalid", "this is not an OpenSSH public key; paste one line such as `ssh-ed25519 AAAA… you@laptop`"),
        ];
        for (public_key, code, message) in cases {
            let body = json!({ "name": "Laptop", "public_key": public_key });
            let answer = api(&env.router, "POST", "/api/v1/ssh-keys", Some(body), Some(&token)).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.body);
            assert_eq!(answer.json(), json!({ "error": { "code": code, "message": message } }));
        }
        let body = json!({ "name": "", "public_key": ED25519 });
        let answer = api(&env.router, "POST", "/api/v1/ssh-keys", Some(body), Some(&token)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.json()["error"]["code"], "ssh_key_name_invalid");
    }

    async fn strangers_get_401_and_other_customers_keys_are_404(test: TestDb) {
        let env = env(&test).await;
        customer(&env, "budi@example.id").await;
        customer(&env, "sari@example.id").await;
        let budi = access_token(&env, "budi@example.id").await;
        let sari = access_token(&env, "sari@example.id").await;
        let body = json!({ "name": "Laptop", "public_key": ED25519 });
        let budis = api(&env.router, "POST", "/api/v1/ssh-keys", Some(body.clone()), Some(&budi)).await.json();
        let path = format!("/api/v1/ssh-keys/{}", budis["id"]);

        for (method, path, body) in [
            ("GET", "/api/v1/ssh-keys", None),
            ("POST", "/api/v1/ssh-keys", Some(body)),
            ("DELETE", path.as_str(), None),
        ] {
            let answer = api(&env.router, method, path, body, None).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}: {}", answer.body);
            assert_eq!(answer.json()["error"]["code"], "unauthenticated");
        }

        let listed = api(&env.router, "GET", "/api/v1/ssh-keys", None, Some(&sari)).await;
        assert_eq!(listed.json(), json!([]));
        let stolen = api(&env.router, "DELETE", &path, None, Some(&sari)).await;
        assert_eq!(stolen.status, StatusCode::NOT_FOUND, "{}", stolen.body);
        assert_eq!(stolen.json()["error"]["code"], "not_found");
        let listed = api(&env.router, "GET", "/api/v1/ssh-keys", None, Some(&budi)).await;
        assert_eq!(listed.json().as_array().map(Vec::len), Some(1));
    }

    async fn the_account_page_server_functions_act_on_the_callers_keys_only(test: TestDb) {
        let env = env(&test).await;
        customer(&env, "budi@example.id").await;
        customer(&env, "sari@example.id").await;
        let budi = session_cookie(&env, "budi@example.id").await;
        let sari = session_cookie(&env, "sari@example.id").await;

        let form = format!("name=Laptop&public_key={}", form_encode(ED25519));
        let added = server_fn(&env.router, AddSshKey::PATH, &form, Some(&budi)).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        let added = added.json();
        assert_eq!((added["algorithm"].as_str(), added["fingerprint"].as_str()), (Some("ED25519"), Some(ED25519_FINGERPRINT)));

        let refused = server_fn(&env.router, AddSshKey::PATH, &format!("name=Lama&public_key={}", form_encode(RSA_1024)), Some(&budi)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!((refused.json()["code"].as_str(), refused.json()["field"].as_str()), (Some("ssh_key_too_weak"), Some("public_key")));

        let anonymous = server_fn(&env.router, MySshKeys::PATH, "", None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let saris = server_fn(&env.router, MySshKeys::PATH, "", Some(&sari)).await;
        assert_eq!(saris.json(), json!([]));
        let form = format!("id={}", added["id"]);
        let stolen = server_fn(&env.router, RemoveSshKey::PATH, &form, Some(&sari)).await;
        assert_eq!(stolen.status, StatusCode::NOT_FOUND, "{}", stolen.body);
        let removed = server_fn(&env.router, RemoveSshKey::PATH, &form, Some(&budi)).await;
        assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
        let budis = server_fn(&env.router, MySshKeys::PATH, "", Some(&budi)).await;
        assert_eq!(budis.json(), json!([]));
    }
}
