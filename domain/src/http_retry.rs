//! Calling a third party's HTTP API patiently: one try at a time, transient failures tried again
//! with capped exponential backoff and jitter, a 429's `retry-after` waited out when it is short.
//! The clouds' [`crate::providers::http::ApiClient`] and the Tripay client share it; each says
//! how its answers read ([`Attempt`]) and what its errors are.
//!
//! Only what is safe to repeat is sent again after an unclear failure: a request that is not
//! idempotent (a create, a payment) goes again only when the other side certainly did not act
//! on it (the connection was never made, or it answered 429), which each client decides.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};

/// How patient a client is. The defaults suit production; tests shrink them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    /// For a whole request, answer included.
    pub timeout: Duration,
    /// Tries per request, the first included.
    pub attempts: u32,
    /// The wait before the first retry; it doubles with each further one.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// The longest `retry-after` waited out in place; a longer one goes back to the caller, so
    /// a job runs again later instead of holding a worker.
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

/// An answer as it came: its status, how long it asks us to wait, and its body.
pub(crate) struct Exchange {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub text: String,
}

/// What one try came to.
pub(crate) enum Attempt<E> {
    Answer(Exchange),
    /// Worth trying again after `wait` (or the backoff) when tries remain; otherwise `error`.
    Retry {
        error: E,
        wait: Option<Duration>,
    },
    Fail(E),
}

/// Sends `request` once and reads its answer whole. A failure before an answer is worth
/// another try when the request is `idempotent` or never reached the other side.
pub(crate) async fn exchange<E>(
    request: RequestBuilder,
    idempotent: bool,
    transport: impl Fn(reqwest::Error) -> E,
) -> Result<Exchange, Attempt<E>> {
    let response = request.send().await.map_err(|error| {
        let unsent = error.is_connect();
        let error = transport(error);
        if idempotent || unsent {
            Attempt::Retry { error, wait: None }
        } else {
            Attempt::Fail(error)
        }
    })?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().await.map_err(|error| {
        let error = transport(error);
        if idempotent {
            Attempt::Retry { error, wait: None }
        } else {
            Attempt::Fail(error)
        }
    })?;
    Ok(Exchange {
        status,
        retry_after,
        text,
    })
}

/// Runs `attempt` until it answers, fails for good, or the tries run out, sleeping between
/// tries. `who` names the other side in the logs.
pub(crate) async fn with_retries<E, F, Fut>(
    settings: &HttpSettings,
    who: &str,
    method: &Method,
    path: &str,
    mut attempt: F,
) -> Result<Exchange, E>
where
    E: fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<E>>,
{
    let mut tried = 1;
    loop {
        let (error, wait) = match attempt().await {
            Attempt::Answer(exchange) => return Ok(exchange),
            Attempt::Fail(error) => return Err(error),
            Attempt::Retry { error, wait } => (error, wait),
        };
        if tried >= settings.attempts {
            return Err(error);
        }
        let wait = wait.unwrap_or_else(|| backoff(settings, tried));
        tracing::warn!(
            who,
            %method,
            path,
            attempt = tried,
            %error,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "retrying a request"
        );
        tokio::time::sleep(wait).await;
        tried += 1;
    }
}

/// The wait before retry number `attempt` (from 1): `base · 2^(attempt-1)`, capped, of which a
/// random half is dropped so clients that failed together do not retry together.
pub(crate) fn backoff(settings: &HttpSettings, attempt: u32) -> Duration {
    let doubled = settings
        .backoff_base
        .saturating_mul(1 << attempt.saturating_sub(1).min(16));
    let half = doubled.min(settings.backoff_cap) / 2;
    let jitter = getrandom::u64().unwrap_or(0) % (u64::try_from(half.as_nanos()).unwrap_or(0) + 1);
    half + Duration::from_nanos(jitter)
}

/// A failure before any answer, in words: what went wrong with `who`, and the error's causes
/// (refused, reset, DNS) without the URL, which the logs already give.
pub(crate) fn transport_failure(
    settings: &HttpSettings,
    who: &str,
    error: reqwest::Error,
) -> String {
    let what = if error.is_timeout() {
        format!(
            "no answer from {who} within {} s",
            settings.timeout.as_secs_f32()
        )
    } else if error.is_connect() {
        format!("cannot connect to {who}")
    } else {
        format!("the connection to {who} failed")
    };
    let error = error.without_url();
    let mut text = format!("{what} ({error}");
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text.push(')');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let settings = HttpSettings {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(300),
            ..HttpSettings::default()
        };
        for _ in 0..50 {
            let first = backoff(&settings, 1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = backoff(&settings, 2);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = backoff(&settings, 30);
            assert!(capped >= Duration::from_millis(150) && capped <= Duration::from_millis(300));
        }
    }
}
