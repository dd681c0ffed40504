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

use super::ProviderError;

/// How patient the client is. The defaults suit production; tests shrink them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    /// For a whole request, answer included.
    pub timeout: Duration,
    /// Tries per request, the first included.
    pub attempts: u32,
    /// The wait before the first retry; it doubles with each further one.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// The longest `retry-after` waited out in place; a longer one goes back to the caller as
    /// [`ProviderError::RateLimited`], so a job runs again later instead of holding a worker.
    pub max_retry_after: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            attempts: 4,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

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

/// What one try came to.
enum Attempt {
    Answer(String),
    /// Worth trying again after `wait` (when tries remain); otherwise fail with `error`.
    Retry {
        error: ProviderError,
        wait: Option<Duration>,
    },
    Fail(ProviderError),
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
        let mut attempt = 1;
        loop {
            self.limiter.until_ready().await;
            let outcome = self.attempt(&method, path, query, body, idempotent).await;
            let (error, wait) = match outcome {
                Attempt::Answer(text) => return Ok(text),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { error, wait } => (error, wait),
            };
            if attempt >= self.settings.attempts {
                return Err(error);
            }
            let wait = wait.unwrap_or_else(|| self.backoff(attempt));
            tracing::warn!(
                provider = self.provider,
                %method,
                path,
                attempt,
                %error,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying a provider request"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
        idempotent: bool,
    ) -> Attempt {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                // A connect error means nothing reached the provider, so even a POST may go again.
                let unsent = error.is_connect();
                let error = self.transport(error);
                return if idempotent || unsent {
                    Attempt::Retry { error, wait: None }
                } else {
                    Attempt::Fail(error)
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = match response.text().await {
            Ok(text) => text,
            Err(error) if idempotent => {
                return Attempt::Retry {
                    error: self.transport(error),
                    wait: None,
                };
            }
            Err(error) => return Attempt::Fail(self.transport(error)),
        };
        tracing::debug!(provider = self.provider, %method, path, %status, "provider answered");
        if status.is_success() {
            return Attempt::Answer(text);
        }
        let error = self.status_error(status, &text, retry_after);
        match status {
            // A 429 was refused before any work was done: safe to repeat, even a POST.
            StatusCode::TOO_MANY_REQUESTS => match retry_after {
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
        let what = if error.is_timeout() {
            format!("no answer within {} s", self.settings.timeout.as_secs_f32())
        } else if error.is_connect() {
            "cannot connect".to_owned()
        } else {
            "the connection failed".to_owned()
        };
        ProviderError::Unavailable(format!(
            "{}: {what} ({})",
            self.provider,
            error_chain(error)
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

    /// The wait before retry number `attempt` (from 1): `base · 2^(attempt-1)`, capped, of which
    /// a random half is dropped so clients that failed together do not retry together.
    fn backoff(&self, attempt: u32) -> Duration {
        let doubled = self
            .settings
            .backoff_base
            .saturating_mul(1 << attempt.saturating_sub(1).min(16));
        let ceiling = doubled.min(self.settings.backoff_cap);
        let half = ceiling / 2;
        let jitter =
            getrandom::u64().unwrap_or(0) % (u64::try_from(half.as_nanos()).unwrap_or(0) + 1);
        half + Duration::from_nanos(jitter)
    }
}

/// The error and its causes, which name the real failure (refused, reset, DNS), without the URL,
/// which the path in the logs already gives.
fn error_chain(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
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
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let api = client(HttpSettings {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(300),
            ..HttpSettings::default()
        });
        for _ in 0..50 {
            let first = api.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = api.backoff(2);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = api.backoff(30);
            assert!(capped >= Duration::from_millis(150) && capped <= Duration::from_millis(300));
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let shown = format!("{:?}", client(HttpSettings::default()));
        assert!(!shown.contains("secret-token"));
        assert!(shown.contains("127.0.0.1:9"));
    }
}
