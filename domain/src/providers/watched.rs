//! Every provider call's outcome, recorded for the admin health page ([`crate::outcomes`]): a
//! provider wrapped in [`Watched`] answers exactly as before, and notes whether it worked.
//!
//! Only a provider that is down or broken fails: one that answers "no such server", "not
//! like that", "busy" or "slow down" works. Successes are written at most every
//! [`SUCCESS_EVERY`] per process (the status sync asks about every server in turn), so the
//! page's "last success" may be that much behind; a success after a failure is written at once.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{
    Action, ActionHandle, ActionKind, ActionProgress, Capabilities, CloudProvider, ConsoleAccess,
    CreateInstance, CreatedInstance, ProviderError, ProviderImage, ProviderInstance,
    ProviderRegion, ProviderSize, Providers,
};
use crate::Db;
use crate::outcomes::{self, Service};

const SUCCESS_EVERY: Duration = Duration::from_secs(30);

impl Providers {
    /// The same providers, each [`Watched`] on `db`.
    pub fn watched(self, db: &Db) -> Self {
        let by_name = self
            .by_name
            .into_iter()
            .map(|(name, provider)| {
                let watched: Arc<dyn CloudProvider> = Arc::new(Watched {
                    inner: provider,
                    db: db.clone(),
                    success_written: Mutex::new(None),
                });
                (name, watched)
            })
            .collect();
        Self { by_name }
    }
}

/// A provider whose calls' outcomes are recorded.
#[derive(Debug)]
pub struct Watched {
    inner: Arc<dyn CloudProvider>,
    db: Db,
    /// When this process last wrote a success, unless it wrote a failure since.
    success_written: Mutex<Option<Instant>>,
}

/// Whether `error` says the provider is unreachable or broken, rather than answering.
fn is_failure(error: &ProviderError) -> bool {
    match error {
        ProviderError::Unavailable(_) | ProviderError::Provider(_) => true,
        ProviderError::NotFound
        | ProviderError::Invalid(_)
        | ProviderError::RateLimited { .. }
        | ProviderError::Busy => false,
    }
}

impl Watched {
    async fn watch<T>(&self, answer: Result<T, ProviderError>) -> Result<T, ProviderError> {
        let service = Service::Provider(self.inner.name());
        match &answer {
            Err(error) if is_failure(error) => {
                *self.last_success() = None;
                outcomes::failed(&self.db, service, &error.to_string()).await;
            }
            _ => {
                let due = {
                    let mut written = self.last_success();
                    let due = written.is_none_or(|at| at.elapsed() >= SUCCESS_EVERY);
                    if due {
                        *written = Some(Instant::now());
                    }
                    due
                };
                if due {
                    outcomes::succeeded(&self.db, service, None).await;
                }
            }
        }
        answer
    }

    fn last_success(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // Each change is one assignment: a panic cannot leave it half-made.
        self.success_written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl CloudProvider for Watched {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn creation_takes(&self) -> Option<Duration> {
        self.inner.creation_takes()
    }

    async fn list_regions(&self) -> Result<Vec<ProviderRegion>, ProviderError> {
        self.watch(self.inner.list_regions().await).await
    }

    async fn list_sizes(&self) -> Result<Vec<ProviderSize>, ProviderError> {
        self.watch(self.inner.list_sizes().await).await
    }

    async fn list_images(&self) -> Result<Vec<ProviderImage>, ProviderError> {
        self.watch(self.inner.list_images().await).await
    }

    async fn create_instance(
        &self,
        request: &CreateInstance,
    ) -> Result<CreatedInstance, ProviderError> {
        self.watch(self.inner.create_instance(request).await).await
    }

    async fn find_by_label(&self, label: &str) -> Result<Option<ProviderInstance>, ProviderError> {
        self.watch(self.inner.find_by_label(label).await).await
    }

    async fn get_instance(&self, id: &str) -> Result<ProviderInstance, ProviderError> {
        self.watch(self.inner.get_instance(id).await).await
    }

    async fn delete_instance(&self, id: &str) -> Result<(), ProviderError> {
        self.watch(self.inner.delete_instance(id).await).await
    }

    async fn perform_action(
        &self,
        id: &str,
        action: &Action,
    ) -> Result<ActionHandle, ProviderError> {
        self.watch(self.inner.perform_action(id, action).await)
            .await
    }

    async fn action_progress(
        &self,
        id: &str,
        kind: ActionKind,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        self.watch(self.inner.action_progress(id, kind, handle).await)
            .await
    }

    async fn resize(&self, id: &str, size: &str) -> Result<ActionHandle, ProviderError> {
        self.watch(self.inner.resize(id, size).await).await
    }

    async fn resize_progress(
        &self,
        id: &str,
        size: &str,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        self.watch(self.inner.resize_progress(id, size, handle).await)
            .await
    }

    async fn console(&self, id: &str) -> Result<ConsoleAccess, ProviderError> {
        self.watch(self.inner.console(id).await).await
    }
}
