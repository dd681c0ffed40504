-- Invoices that bill no order (a credit top-up) or a change to one (a resize), and the parts of
-- an invoice settled from the customer's credit: `credit_applied` paid it before the gateway took
-- the rest, `credit_refunded` went back to the credit after it was paid (domain::billing::credit).
-- Keep equivalent to migrations/sqlite/20261218000029_invoice_kinds_and_credit.sql.
ALTER TABLE invoices ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE invoices DROP CONSTRAINT invoices_purpose_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_purpose_check
    CHECK (purpose IN ('new', 'renewal', 'resize', 'top_up'));
ALTER TABLE invoices ADD COLUMN credit_applied BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN credit_refunded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD CONSTRAINT invoices_order_unless_top_up
    CHECK ((order_id IS NULL) = (purpose = 'top_up'));
ALTER TABLE invoices ADD CONSTRAINT invoices_credit_applied_range
    CHECK (credit_applied >= 0 AND credit_applied <= total);
ALTER TABLE invoices ADD CONSTRAINT invoices_credit_refunded_range
    CHECK (credit_refunded >= 0 AND credit_refunded <= total);
-- One open resize per order, like renewals.
CREATE UNIQUE INDEX invoices_one_open_resize ON invoices (order_id)
    WHERE purpose = 'resize' AND status = 'unpaid';
