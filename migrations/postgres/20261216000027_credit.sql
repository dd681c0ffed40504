-- Each customer's credit (domain::billing::credit): the balance on the user row, changed only
-- with a row here in the same transaction, so the entries always add up to it.
-- Keep equivalent to migrations/sqlite/20261216000027_credit.sql.
ALTER TABLE users ADD COLUMN credit_balance BIGINT NOT NULL DEFAULT 0 CHECK (credit_balance >= 0);

CREATE TABLE credit_entries (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    -- Signed rupiah: money in is positive, spent is negative.
    amount        BIGINT NOT NULL,
    balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
    kind          TEXT NOT NULL,
    invoice_id    BIGINT REFERENCES invoices (id),
    note          TEXT,
    actor_user_id BIGINT REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX credit_entries_user ON credit_entries (user_id, id);
