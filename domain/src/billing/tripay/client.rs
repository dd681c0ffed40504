//! The API client: channels (cached), creating and reading transactions, and how each answer
//! is judged (retry, Tripay's refusal, or data).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::http_retry::{self, Attempt, Exchange, HttpSettings};

use super::wire::{Envelope, RawChannel, RawTransaction};
use super::*;

/// Tripay's API for one merchant. Clones share the HTTP connections and the channel cache.
#[derive(Clone)]
pub struct TripayClient {
    http: reqwest::Client,
    config: Arc<TripayConfig>,
    base_url: String,
    settings: TripaySettings,
    channels: Arc<Mutex<Option<CachedChannels>>>,
}

pub(super) struct CachedChannels {
    fetched: Instant,
    channels: Vec<PaymentChannel>,
}

/// Never shows the keys.
impl fmt::Debug for TripayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TripayClient")
            .field("merchant_code", &self.config.merchant_code)
            .field("base_url", &self.base_url)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl TripayClient {
    pub fn new(config: TripayConfig) -> Result<Self, TripayError> {
        Self::with_settings(config, TripaySettings::default())
    }

    pub fn with_settings(
        config: TripayConfig,
        settings: TripaySettings,
    ) -> Result<Self, TripayError> {
        let http = reqwest::Client::builder()
            .timeout(settings.http.timeout)
            .user_agent(concat!("webrana-cloud/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                TripayError::Unavailable(format!("cannot set up the Tripay client: {error}"))
            })?;
        Ok(Self {
            http,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            config: Arc::new(config),
            settings,
            channels: Arc::new(Mutex::new(None)),
        })
    }

    /// Every channel of the merchant, active or not, from memory when fetched less than
    /// [`TripaySettings::channels_ttl`] ago.
    #[tracing::instrument(skip(self))]
    pub async fn payment_channels(&self) -> Result<Vec<PaymentChannel>, TripayError> {
        let fresh = self
            .cache()
            .as_ref()
            .filter(|cached| cached.fetched.elapsed() < self.settings.channels_ttl)
            .map(|cached| cached.channels.clone());
        if let Some(channels) = fresh {
            return Ok(channels);
        }
        let raw: Vec<RawChannel> = self
            .call(Method::GET, "merchant/payment-channel", &[], None)
            .await?;
        let channels: Vec<PaymentChannel> = raw.into_iter().map(RawChannel::into_channel).collect();
        *self.cache() = Some(CachedChannels {
            fetched: Instant::now(),
            channels: channels.clone(),
        });
        Ok(channels)
    }

    /// Creates a closed-payment transaction. Sent once: after a timeout or a 5xx, Tripay may
    /// have created it, so look it up with [`Self::transactions_by_merchant_ref`] before trying
    /// again.
    #[tracing::instrument(
        skip(self, request),
        fields(
            merchant_ref = %request.merchant_ref,
            method = %request.method,
            amount = request.amount,
        )
    )]
    pub async fn create_transaction(
        &self,
        request: &NewTransaction,
    ) -> Result<Transaction, TripayError> {
        request.check()?;
        let signature = transaction_signature(
            &self.config.private_key,
            &self.config.merchant_code,
            &request.merchant_ref,
            request.amount,
        );
        let body = request.body(signature);
        let raw: RawTransaction = self
            .call(Method::POST, "transaction/create", &[], Some(&body))
            .await?;
        raw.into_transaction()
    }

    /// One transaction by Tripay's reference.
    #[tracing::instrument(skip(self))]
    pub async fn transaction_detail(&self, reference: &str) -> Result<Transaction, TripayError> {
        let raw: RawTransaction = self
            .call(
                Method::GET,
                "transaction/detail",
                &[("reference", reference)],
                None,
            )
            .await?;
        raw.into_transaction()
    }

    /// The merchant's transactions with our `merchant_ref` (newest first): how a create whose
    /// answer was lost is found.
    #[tracing::instrument(skip(self))]
    pub async fn transactions_by_merchant_ref(
        &self,
        merchant_ref: &str,
    ) -> Result<Vec<Transaction>, TripayError> {
        let raw: Vec<RawTransaction> = self
            .call(
                Method::GET,
                "merchant/transactions",
                &[
                    ("merchant_ref", merchant_ref),
                    ("page", "1"),
                    ("per_page", TRANSACTIONS_PER_PAGE),
                    ("sort", "desc"),
                ],
                None,
            )
            .await?;
        raw.into_iter()
            .map(RawTransaction::into_transaction)
            .collect()
    }

    fn cache(&self) -> MutexGuard<'_, Option<CachedChannels>> {
        // The cache holds plain data, whole or not at all: a panic elsewhere cannot leave it
        // half written.
        self.channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<T, TripayError> {
        let (status, text) = self.send(method, path, query, body).await?;
        read_answer(status, &text)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(StatusCode, String), TripayError> {
        // Repeating a GET changes nothing; repeating a create may create a second transaction.
        let idempotent = method == Method::GET;
        let settings = &self.settings.http;
        let method = &method;
        let answer = http_retry::with_retries(settings, "Tripay", method, path, || async move {
            let mut request = self
                .http
                .request(method.clone(), format!("{}/{path}", self.base_url))
                .bearer_auth(&self.config.api_key)
                .query(query);
            if let Some(body) = body {
                request = request.json(body);
            }
            let transport = |error| {
                TripayError::Unavailable(http_retry::transport_failure(settings, "Tripay", error))
            };
            match http_retry::exchange(request, idempotent, transport).await {
                Ok(answer) => judge(answer, idempotent, settings),
                Err(attempt) => attempt,
            }
        })
        .await?;
        tracing::debug!(%method, path, status = %answer.status, "Tripay answered");
        Ok((answer.status, answer.text))
    }
}

/// A 429 or a 5xx is Tripay not answering; everything else is read by [`read_answer`].
fn judge(answer: Exchange, idempotent: bool, settings: &HttpSettings) -> Attempt<TripayError> {
    if answer.status == StatusCode::TOO_MANY_REQUESTS {
        // Refused before any work was done: safe to repeat, even a create.
        return match answer.retry_after {
            Some(wait) if wait > settings.max_retry_after => {
                Attempt::Fail(TripayError::RateLimited)
            }
            wait => Attempt::Retry {
                error: TripayError::RateLimited,
                wait,
            },
        };
    }
    if answer.status.is_server_error() {
        let error = TripayError::Unavailable(format!(
            "Tripay answered {}: {}",
            answer.status,
            message_or_excerpt(&answer.text)
        ));
        // A 5xx may come after the work was done, so only a GET goes again.
        return if idempotent {
            Attempt::Retry { error, wait: None }
        } else {
            Attempt::Fail(error)
        };
    }
    Attempt::Answer(answer)
}

/// Reads Tripay's envelope out of an answer that is not a 429 or a 5xx.
pub(super) fn read_answer<T: DeserializeOwned>(
    status: StatusCode,
    text: &str,
) -> Result<T, TripayError> {
    let envelope = serde_json::from_str::<Envelope>(text);
    let message = envelope
        .as_ref()
        .ok()
        .and_then(|envelope| envelope.message.clone());
    let reason = || status.canonical_reason().unwrap_or("no reason").to_owned();
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err(TripayError::Unauthorized(format!(
            "{status}: {}",
            message.unwrap_or_else(reason)
        )));
    }
    let envelope = envelope.map_err(|error| {
        if status.is_success() {
            TripayError::Malformed(error.to_string())
        } else {
            TripayError::Malformed(format!(
                "Tripay answered {status} with a body that is not its JSON ({error}): {}",
                excerpt(text)
            ))
        }
    })?;
    match envelope.success {
        Some(true) if status.is_success() => {}
        None if status.is_success() => {
            return Err(TripayError::Malformed(
                "the answer has no `success` flag".into(),
            ));
        }
        _ => {
            return Err(TripayError::Rejected(message.unwrap_or_else(|| {
                format!("Tripay answered {status} without a message")
            })));
        }
    }
    let data = envelope
        .data
        .ok_or_else(|| TripayError::Malformed("a successful answer without `data`".into()))?;
    serde_json::from_value(data).map_err(|error| TripayError::Malformed(error.to_string()))
}

/// Tripay's message from an error body, or the start of the body.
fn message_or_excerpt(text: &str) -> String {
    serde_json::from_str::<Envelope>(text)
        .ok()
        .and_then(|envelope| envelope.message)
        .unwrap_or_else(|| {
            let excerpt = excerpt(text);
            if excerpt.trim().is_empty() {
                "no message".to_owned()
            } else {
                excerpt
            }
        })
}

fn excerpt(text: &str) -> String {
    text.chars().take(200).collect()
}

// --- Signatures ---------------------------------------------------------------------------
