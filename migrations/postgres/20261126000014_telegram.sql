-- Telegram: a user links a chat by opening the bot with a one-time deep-link token; each
-- notification they want on Telegram is sent by a durable job that marks it sent.
-- Keep equivalent to migrations/sqlite/20261126000014_telegram.sql.
CREATE TABLE telegram_links (
    user_id   BIGINT PRIMARY KEY REFERENCES users (id),
    chat_id   BIGINT NOT NULL,
    linked_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX telegram_links_chat ON telegram_links (chat_id);

CREATE TABLE telegram_link_tokens (
    -- Only the token's hash: the token itself travels in the t.me link.
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

ALTER TABLE notifications ADD COLUMN telegram_sent_at TIMESTAMPTZ;
