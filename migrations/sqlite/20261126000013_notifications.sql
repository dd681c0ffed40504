-- Notifications: one row per event per user, written in the transaction of the change that
-- caused it (the outbox). The row is the in-app notification (unless the user turned that
-- category off in-app) and the source each e-mail or Telegram delivery job renders from.
-- Keep equivalent to migrations/postgres/20261126000013_notifications.sql.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    event      TEXT NOT NULL,
    category   TEXT NOT NULL CHECK (category IN ('billing', 'server', 'security', 'admin')),
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    -- A path in the app (`/orders/7`), made absolute where it leaves the app (e-mail).
    link       TEXT,
    in_app     BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT,
    emailed_at TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL AND in_app;

-- What a user turned off or on; no row is the category's default.
CREATE TABLE notification_preferences (
    user_id  BIGINT NOT NULL REFERENCES users (id),
    category TEXT NOT NULL CHECK (category IN ('billing', 'server', 'security', 'admin')),
    channel  TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'telegram')),
    enabled  BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, category, channel)
);
