//! SSH keys through the real router on both databases: the REST API with bearer tokens and the
//! account page's server functions with cookies, each refusing strangers and other customers.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::ssh_keys::{AddSshKey, MySshKeys, RemoveSshKey};
use axum::http::StatusCode;
use domain::accounts::inputs::Language;
use domain::both_backends;
use leptos::server_fn::ServerFn;
use serde_json::json;
use support::{api, env, form_encode, server_fn};

// Generated with `ssh-keygen`; fingerprints from `ssh-keygen -lf`.
const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C budi@laptop";
const ED25519_FINGERPRINT: &str = "SHA256:WodgPDn5ds4QcgbC5T636Gl84wAyKPale7CpBHYD7xM";
const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC95tmeuzUhPfiTL319W5WCIoERMUtlnYBbT3YIUJOox5vFkmiBhxjG8zqVCEHp70KUMSRF8qhg2QmectFLcWr7U9OslpKcT4Dq++oYkazvvCiH4dJGCQxLJVNUsDPQq8sF34PUS55YwcU/21emahu1mWjIaN9LqHts7NqDGHeimw== rsa1024";

both_backends! {
    async fn the_rest_api_adds_lists_and_removes_keys(test: TestDb) {
        let env = env(&test).await;
        env.customer("budi@example.id", Language::Id).await;
        let token = env.access_token("budi@example.id").await;

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
        env.customer("budi@example.id", Language::Id).await;
        let token = env.access_token("budi@example.id").await;
        let cases = [
            (RSA_1024, "ssh_key_too_weak", "this RSA key has 1024 bits; at least 2048 are required (or use ed25519)"),
            ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "ssh_key_private", "this is a private key; paste the .pub file instead, and keep the private key to yourself"),
            ("hello", "ssh_key_invalid", "this is not an OpenSSH public key; paste one line such as `ssh-ed25519 AAAA… you@laptop`"),
        ];
        for (public_key, code, message) in cases {
            let body = json!({ "name": "Laptop", "public_key": public_key });
            let answer = api(&env.router, "POST", "/api/v1/ssh-keys", Some(body), Some(&token)).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.body);
            assert_eq!(answer.json(), json!({ "error": { "code": code, "message": message, "field": "public_key" } }));
        }
        let body = json!({ "name": "", "public_key": ED25519 });
        let answer = api(&env.router, "POST", "/api/v1/ssh-keys", Some(body), Some(&token)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.json()["error"]["code"], "ssh_key_name_invalid");
    }

    async fn strangers_get_401_and_other_customers_keys_are_404(test: TestDb) {
        let env = env(&test).await;
        env.customer("budi@example.id", Language::Id).await;
        env.customer("sari@example.id", Language::Id).await;
        let budi = env.access_token("budi@example.id").await;
        let sari = env.access_token("sari@example.id").await;
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
        env.customer("budi@example.id", Language::Id).await;
        env.customer("sari@example.id", Language::Id).await;
        let budi = env.session_cookies("budi@example.id").await;
        let sari = env.session_cookies("sari@example.id").await;

        let form = format!("name=Laptop&public_key={}", form_encode(ED25519));
        let added = server_fn(&env.router, AddSshKey::PATH, &form, Some(&budi)).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        let added = added.json();
        // The same key type as the REST API answers; the account page writes it in capitals.
        assert_eq!((added["algorithm"].as_str(), added["fingerprint"].as_str()), (Some("ed25519"), Some(ED25519_FINGERPRINT)));

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
