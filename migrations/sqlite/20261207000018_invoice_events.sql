-- Every change of an invoice's status, like order_events for orders: who or what moved it (an
-- admin, a gateway's payment, the expiry job) and why, so "why is my invoice cancelled?" has an
-- answer. Written only by domain::billing::invoices::transition.
-- Keep equivalent to migrations/postgres/20261207000018_invoice_events.sql.
CREATE TABLE invoice_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    invoice_id    BIGINT NOT NULL REFERENCES invoices (id),
    at            TEXT NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    note          TEXT
);
CREATE INDEX invoice_events_invoice ON invoice_events (invoice_id, id);
