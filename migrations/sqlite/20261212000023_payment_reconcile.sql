-- A payment whose callback was lost is found by asking the gateway (domain::billing::reconcile):
-- how often it has been asked, and when it is next due. Keep equivalent to
-- migrations/postgres/20261212000023_payment_reconcile.sql.
ALTER TABLE payments ADD COLUMN reconcile_checks BIGINT NOT NULL DEFAULT 0;
-- Not asked yet while NULL: then it is due once the payment is old enough.
ALTER TABLE payments ADD COLUMN next_check_at TEXT;
CREATE INDEX payments_open ON payments (status, gateway, created_at);
