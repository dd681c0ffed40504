-- Each reminder before a step of a service's lifecycle is sent once (domain::orders::reminders):
-- a row here per service, step and paid period, taken in the transaction that sends it.
-- Keep equivalent to migrations/sqlite/20261214000025_reminders.sql.
CREATE TABLE reminders_sent (
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    kind        TEXT NOT NULL,
    -- The end of the paid period the reminder is about, so the next period reminds again.
    period_end  TIMESTAMPTZ NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, kind, period_end)
);
