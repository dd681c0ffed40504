//! Security headers on every response, and a per-request CSP nonce for the hydration script.

use app::CspNonce;
use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;

use crate::state::ServerState;

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    // The OS random source failing leaves a fixed nonce, which still blocks injected scripts
    // (an attacker cannot know it in advance only if it is random; log loudly).
    if getrandom::fill(&mut bytes).is_err() {
        tracing::error!("no randomness for the CSP nonce");
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");
const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// What the pages may ask the browser for: the clipboard (the console's paste and the copy
/// buttons, from our own origin), nothing else a script injected despite the CSP could abuse.
const PERMISSIONS: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), \
     bluetooth=(), midi=(), display-capture=(), browsing-topics=(), \
     clipboard-read=(self), clipboard-write=(self)";

pub async fn security_headers(
    State(state): State<ServerState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = new_nonce();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let is_html = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html {
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'nonce-{nonce}'; \
             img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
             form-action 'self'; frame-ancestors 'none'"
        );
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.insert(CONTENT_SECURITY_POLICY, value);
        }
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // A window this page opens cannot reach back into it, nor it into that window.
        headers.insert(
            CROSS_ORIGIN_OPENER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(PERMISSIONS_POLICY, HeaderValue::from_static(PERMISSIONS));
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if state.web.secure_cookies {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
