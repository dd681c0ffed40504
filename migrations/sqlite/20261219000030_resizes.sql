-- A service moving to another plan (domain::orders::resize, domain::instances::resize): what it
-- moves from and to, the invoice for the rest of the paid period (none when nothing is due), and
-- how far the server's change at its provider has come, so the durable job picks up where a
-- crash left it.
-- Keep equivalent to migrations/postgres/20261219000030_resizes.sql.
CREATE TABLE resizes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id        BIGINT NOT NULL REFERENCES orders (id),
    instance_id     BIGINT NOT NULL REFERENCES instances (id),
    invoice_id      BIGINT UNIQUE REFERENCES invoices (id),
    from_plan_id    BIGINT NOT NULL REFERENCES plans (id),
    to_plan_id      BIGINT NOT NULL REFERENCES plans (id),
    to_size_slug    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'queued', 'stopping',
                        'resizing', 'starting', 'done', 'failed', 'cancelled')),
    -- Whether the server ran when the change began: it is started again afterwards.
    was_running     BOOLEAN,
    -- The provider's handle of the step under way (power-off, resize, power-on), once known.
    provider_handle TEXT,
    step_started_at TEXT,
    error           TEXT,
    requested_by    BIGINT NOT NULL REFERENCES users (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    finished_at     TEXT
);
-- One resize at a time per service.
CREATE UNIQUE INDEX resizes_one_open ON resizes (order_id)
    WHERE status NOT IN ('done', 'failed', 'cancelled');
CREATE INDEX resizes_instance ON resizes (instance_id, status);
