-- A notification category of its own for what a customer asked of a server (power, reboot,
-- password reset, rebuild) done or failed, e-mailed only to those who turn that on
-- (domain::notifications). Earlier action notifications stay in `server`, as they were sent.
-- An e-mail now shows the invoice its notification is about (`attached_invoice_id`); its PDF goes
-- along only where `invoice_pdf` says so, as it did for every earlier row that named one.
-- SQLite cannot change a column's constraints, so both tables are rebuilt.
-- Keep equivalent to migrations/postgres/20261221000032_action_notifications.sql.
CREATE TABLE notifications_rebuilt (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id             BIGINT NOT NULL REFERENCES users (id),
    event               TEXT NOT NULL,
    category            TEXT NOT NULL
        CHECK (category IN ('billing', 'server', 'actions', 'security', 'admin')),
    title               TEXT NOT NULL,
    body                TEXT NOT NULL,
    link                TEXT,
    in_app              BOOLEAN NOT NULL,
    created_at          TEXT NOT NULL,
    read_at             TEXT,
    emailed_at          TEXT,
    telegram_sent_at    TEXT,
    attached_invoice_id BIGINT,
    invoice_pdf         BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO notifications_rebuilt (id, user_id, event, category, title, body, link, in_app,
    created_at, read_at, emailed_at, telegram_sent_at, attached_invoice_id, invoice_pdf)
SELECT id, user_id, event, category, title, body, link, in_app, created_at, read_at, emailed_at,
    telegram_sent_at, attached_invoice_id, attached_invoice_id IS NOT NULL
FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_rebuilt RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL AND in_app;
CREATE INDEX notifications_user_created ON notifications (user_id, created_at);

CREATE TABLE notification_preferences_rebuilt (
    user_id  BIGINT NOT NULL REFERENCES users (id),
    category TEXT NOT NULL
        CHECK (category IN ('billing', 'server', 'actions', 'security', 'admin')),
    channel  TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'telegram')),
    enabled  BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, category, channel)
);
INSERT INTO notification_preferences_rebuilt (user_id, category, channel, enabled)
SELECT user_id, category, channel, enabled FROM notification_preferences;
DROP TABLE notification_preferences;
ALTER TABLE notification_preferences_rebuilt RENAME TO notification_preferences;
