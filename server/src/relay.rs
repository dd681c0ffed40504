//! With `REDIS_URL` set, several server processes share one live feed: each publishes what its
//! transactions commit on a Redis channel and hands what it hears there to its own sockets, so
//! a notification committed on one process reaches a browser connected to another. Without
//! Redis the feed stays in-process, which is all one node needs.
//!
//! Redis pub/sub delivers to whoever listens at that moment and keeps nothing. A process that
//! cannot publish hands the item to its own listeners at least, and sockets catch up from the
//! database when they reconnect, so an outage of Redis delays, never loses, a notification.

use std::time::Duration;

use domain::db::{CommitFeed, Committed};
use futures_util::StreamExt;
use redis::AsyncCommands;

/// The channel every process publishes to and listens on.
pub const CHANNEL: &str = "webrana:committed";

const RECONNECT_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
#[error("REDIS_URL: cannot use Redis ({0})")]
pub struct RelayError(#[from] redis::RedisError);

/// Connects to Redis (failing now, at start-up, if it cannot) and from then on relays `feed`
/// through it.
pub async fn start(url: &str, feed: &CommitFeed) -> Result<(), RelayError> {
    let client = redis::Client::open(url)?;
    let mut publisher = redis::aio::ConnectionManager::new(client.clone()).await?;
    let mut subscriber = client.get_async_pubsub().await?;
    subscriber.subscribe(CHANNEL).await?;

    let (outgoing, mut to_publish) = tokio::sync::mpsc::unbounded_channel::<Committed>();
    let local = feed.clone();
    tokio::spawn(async move {
        while let Some(committed) = to_publish.recv().await {
            let payload = serde_json::to_string(&committed).unwrap_or_default();
            let published: redis::RedisResult<()> = publisher.publish(CHANNEL, payload).await;
            if let Err(error) = published {
                tracing::warn!(%error, "Redis publish failed; told this process's sockets only");
                local.deliver(committed);
            }
        }
    });

    let heard = feed.clone();
    tokio::spawn(async move {
        loop {
            let mut messages = subscriber.on_message();
            while let Some(message) = messages.next().await {
                let Ok(payload) = message.get_payload::<String>() else {
                    continue;
                };
                match serde_json::from_str::<Committed>(&payload) {
                    Ok(committed) => heard.deliver(committed),
                    Err(error) => tracing::warn!(%error, "unreadable message on the Redis feed"),
                }
            }
            drop(messages);
            tracing::warn!("lost the Redis subscription; reconnecting");
            subscriber = resubscribe(&client).await;
        }
    });

    feed.relay_through(outgoing);
    Ok(())
}

async fn resubscribe(client: &redis::Client) -> redis::aio::PubSub {
    loop {
        tokio::time::sleep(RECONNECT_AFTER).await;
        match client.get_async_pubsub().await {
            Ok(mut subscriber) => match subscriber.subscribe(CHANNEL).await {
                Ok(()) => return subscriber,
                Err(error) => tracing::warn!(%error, "cannot subscribe to the Redis feed yet"),
            },
            Err(error) => tracing::warn!(%error, "cannot reach Redis yet"),
        }
    }
}
