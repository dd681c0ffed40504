//! The HTTP layer the real cloud adapters share: one reqwest client per provider with a timeout
//! and bearer auth, a token bucket that keeps us under the provider's rate limit, retries of
//! transient failures with capped exponential backoff and jitter, and the mapping of HTTP
//! statuses onto [`ProviderError`].
//!
//! Only requests that are safe to repeat are retried after an unclear failure. A POST (a create,
//! a power action) is sent again only when the provider certainly did not act on it: the
//! connection was never made, or it answered 429. A create whose answer was lost is the
//! worker's to recover, by looking the server up by its label, never ours to resend.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::ProviderError;
use crate::http_retry::{self, Attempt, Exchange, HttpSettings};

/// One provider's API: base URL, token, rate limiter and retry policy.
#[derive(Clone)]
pub struct ApiClient {
    provider: &'static str,
    http: reqwest::Client,
    base_url: String,
    token: String,
    limiter: Arc<DefaultDirectRateLimiter>,
    settings: HttpSettings,
    /// Reads the provider's human message out of an error body (each provider shapes it its
    /// own way).
    error_message: fn(&str) -> Option<String>,
}

/// Never shows the token.
impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    pub fn new(
        provider: &'static str,
        token: String,
        base_url: &str,
        quota: Quota,
        settings: HttpSettings,
        error_message: fn(&str) -> Option<String>,
    ) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("webrana-cloud/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                ProviderError::Provider(format!("cannot set up the {provider} client: {error}"))
            })?;
        Ok(Self {
            provider,
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token,
            limiter: Arc::new(RateLimiter::direct(quota)),
            settings,
            error_message,
        })
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<T, ProviderError> {
        let text = self.send(Method::GET, path, query, None).await?;
        self.decode(&text)
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ProviderError> {
        let body = serde_json::to_value(body).map_err(|error| {
            ProviderError::Provider(format!(
                "cannot encode a {} request: {error}",
                self.provider
            ))
        })?;
        let text = self.send(Method::POST, path, &[], Some(&body)).await?;
        self.decode(&text)
    }

    /// A POST without a body whose answer has none either (Vultr's power actions answer 204).
    pub async fn post_expecting_nothing(&self, path: &str) -> Result<(), ProviderError> {
        self.send(Method::POST, path, &[], None).await.map(drop)
    }

    /// Like a POST, never repeated after an unclear failure (a PATCH may start a reinstall).
    pub async fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ProviderError> {
        let body = serde_json::to_value(body).map_err(|error| {
            ProviderError::Provider(format!(
                "cannot encode a {} request: {error}",
                self.provider
            ))
        })?;
        let text = self.send(Method::PATCH, path, &[], Some(&body)).await?;
        self.decode(&text)
    }

    /// The answer's body is ignored: providers answer a delete with 204 and nothing, or `{}`.
    pub async fn delete(&self, path: &str) -> Result<(), ProviderError> {
        self.send(Method::DELETE, path, &[], None).await.map(drop)
    }

    fn decode<T: DeserializeOwned>(&self, text: &str) -> Result<T, ProviderError> {
        serde_json::from_str(text).map_err(|error| self.unreadable(error))
    }

    /// An answer that does not have the documented shape: a provider change or a broken proxy,
    /// which retrying will not fix.
    pub fn unreadable(&self, error: impl fmt::Display) -> ProviderError {
        ProviderError::Provider(format!(
            "{} sent an answer we cannot read: {error}",
            self.provider
        ))
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<String, ProviderError> {
        // Repeating a GET or a DELETE changes nothing; repeating a POST or a PATCH may do the
        // work twice.
        let idempotent = matches!(method, Method::GET | Method::DELETE);
        let method = &method;
        // One span per call, retries included: which provider, which endpoint, what it said.
        let span = tracing::info_span!(
            "provider.call",
            provider = self.provider,
            method = %method,
            endpoint = path,
            status = tracing::field::Empty,
            sentry.op = "http.client",
        );
        let answer =
            http_retry::with_retries(&self.settings, self.provider, method, path, || async move {
                self.limiter.until_ready().await;
                let mut request = self
                    .http
                    .request(method.clone(), format!("{}{path}", self.base_url))
                    .bearer_auth(&self.token)
                    .query(query);
                if let Some(body) = body {
                    request = request.json(body);
                }
                match http_retry::exchange(request, idempotent, |error| self.transport(error)).await
                {
                    Ok(answer) => self.judge(answer, idempotent),
                    Err(attempt) => attempt,
                }
            })
            .instrument(span.clone())
            .await
            .inspect_err(|error| {
                span.record("status", tracing::field::display(error));
            })?;
        span.record("status", answer.status.as_u16());
        tracing::debug!(provider = self.provider, %method, path, status = %answer.status, "provider answered");
        Ok(answer.text)
    }

    /// Whether an answer is the one we wanted, worth another try, or a failure.
    fn judge(&self, answer: Exchange, idempotent: bool) -> Attempt<ProviderError> {
        if answer.status.is_success() {
            return Attempt::Answer(answer);
        }
        let error = self.status_error(answer.status, &answer.text, answer.retry_after);
        match answer.status {
            // A 429 was refused before any work was done: safe to repeat, even a POST.
            StatusCode::TOO_MANY_REQUESTS => match answer.retry_after {
                Some(wait) if wait > self.settings.max_retry_after => Attempt::Fail(error),
                wait => Attempt::Retry { error, wait },
            },
            // A 5xx may come after the work was done, so only a repeatable request goes again.
            status if status.is_server_error() && idempotent => {
                Attempt::Retry { error, wait: None }
            }
            _ => Attempt::Fail(error),
        }
    }

    fn transport(&self, error: reqwest::Error) -> ProviderError {
        ProviderError::Unavailable(http_retry::transport_failure(
            &self.settings,
            self.provider,
            error,
        ))
    }

    /// The error a non-2xx answer stands for, before any adapter-specific reading.
    fn status_error(
        &self,
        status: StatusCode,
        body: &str,
        retry_after: Option<Duration>,
    ) -> ProviderError {
        let message = (self.error_message)(body).unwrap_or_else(|| {
            let excerpt: String = body.chars().take(200).collect();
            if excerpt.trim().is_empty() {
                status.canonical_reason().unwrap_or("no message").to_owned()
            } else {
                excerpt
            }
        });
        let provider = self.provider;
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ProviderError::Provider(format!(
                "{provider} rejected our API token ({status}: {message}); an administrator must \
                 check the token and its permissions"
            )),
            StatusCode::NOT_FOUND => ProviderError::NotFound,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
                ProviderError::Invalid(message)
            }
            StatusCode::TOO_MANY_REQUESTS => ProviderError::RateLimited { retry_after },
            status if status.is_server_error() => {
                ProviderError::Unavailable(format!("{provider} answered {status}: {message}"))
            }
            status => ProviderError::Provider(format!("{provider} answered {status}: {message}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(settings: HttpSettings) -> ApiClient {
        let quota = Quota::per_second(std::num::NonZeroU32::MIN);
        ApiClient::new(
            "test",
            "secret-token".to_owned(),
            "http://127.0.0.1:9/",
            quota,
            settings,
            |_| None,
        )
        .unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn debug_hides_the_token() {
        let shown = format!("{:?}", client(HttpSettings::default()));
        assert!(!shown.contains("secret-token"));
        assert!(shown.contains("127.0.0.1:9"));
    }
}
