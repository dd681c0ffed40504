-- Invoices that bill no order (a credit top-up) or a change to one (a resize), and the parts of
-- an invoice settled from the customer's credit: `credit_applied` paid it before the gateway took
-- the rest, `credit_refunded` went back to the credit after it was paid (domain::billing::credit).
-- SQLite cannot change a column's constraints, so the table is rebuilt; the tables that refer to
-- it keep their references, checked when the migration's transaction commits.
-- Keep equivalent to migrations/postgres/20261218000029_invoice_kinds_and_credit.sql.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE invoices_rebuilt (
    id               INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    number           TEXT NOT NULL UNIQUE,
    user_id          BIGINT NOT NULL REFERENCES users (id),
    order_id         BIGINT REFERENCES orders (id),
    purpose          TEXT NOT NULL CHECK (purpose IN ('new', 'renewal', 'resize', 'top_up')),
    period_months    BIGINT NOT NULL,
    subtotal         BIGINT NOT NULL,
    discount         BIGINT NOT NULL,
    tax_rate_bp      BIGINT NOT NULL,
    tax              BIGINT NOT NULL,
    total            BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('unpaid', 'paid', 'expired', 'cancelled', 'refunded')),
    customer_name    TEXT NOT NULL,
    customer_email   TEXT NOT NULL,
    issued_at        TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    paid_at          TEXT,
    paid_via         TEXT,
    note             TEXT,
    updated_at       TEXT NOT NULL,
    customer_company TEXT,
    customer_address TEXT,
    customer_npwp    TEXT,
    credit_applied   BIGINT NOT NULL DEFAULT 0,
    credit_refunded  BIGINT NOT NULL DEFAULT 0,
    CHECK ((order_id IS NULL) = (purpose = 'top_up')),
    CHECK (credit_applied >= 0 AND credit_applied <= total),
    CHECK (credit_refunded >= 0 AND credit_refunded <= total)
);
INSERT INTO invoices_rebuilt (id, number, user_id, order_id, purpose, period_months, subtotal,
    discount, tax_rate_bp, tax, total, status, customer_name, customer_email, issued_at,
    expires_at, paid_at, paid_via, note, updated_at, customer_company, customer_address,
    customer_npwp)
SELECT id, number, user_id, order_id, purpose, period_months, subtotal, discount, tax_rate_bp,
    tax, total, status, customer_name, customer_email, issued_at, expires_at, paid_at, paid_via,
    note, updated_at, customer_company, customer_address, customer_npwp
FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_rebuilt RENAME TO invoices;

CREATE INDEX invoices_user ON invoices (user_id, id);
CREATE INDEX invoices_order ON invoices (order_id, id);
-- One open renewal invoice per order, and one open resize.
CREATE UNIQUE INDEX invoices_one_open_renewal ON invoices (order_id)
    WHERE purpose = 'renewal' AND status = 'unpaid';
CREATE UNIQUE INDEX invoices_one_open_resize ON invoices (order_id)
    WHERE purpose = 'resize' AND status = 'unpaid';
