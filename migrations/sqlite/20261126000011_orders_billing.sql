-- Orders, their invoices and payments, and coupons.
-- Money is integer rupiah throughout; the tax rate is in basis points (1100 = 11 %).
-- Keep equivalent to migrations/postgres/20261126000011_orders_billing.sql.
CREATE TABLE coupons (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- Upper case; customers type it in any case.
    code                  TEXT NOT NULL UNIQUE,
    kind                  TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    -- A percentage (1-100) or rupiah off the subtotal.
    amount                BIGINT NOT NULL CHECK (amount > 0),
    valid_from            TEXT,
    valid_until           TEXT,
    max_uses              BIGINT,
    max_uses_per_customer BIGINT,
    -- Orders holding a redemption; counted here so a limit holds under concurrent orders.
    used                  BIGINT NOT NULL DEFAULT 0,
    -- JSON array of plan ids; empty means every plan.
    plan_ids              TEXT NOT NULL DEFAULT '[]',
    active                BOOLEAN NOT NULL DEFAULT TRUE,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id        BIGINT NOT NULL REFERENCES users (id),
    plan_id        BIGINT NOT NULL REFERENCES plans (id),
    region_slug    TEXT NOT NULL,
    image_slug     TEXT NOT NULL,
    hostname       TEXT NOT NULL,
    period_months  BIGINT NOT NULL CHECK (period_months IN (1, 3, 6, 12)),
    -- JSON array of the customer's ssh_keys ids to install.
    ssh_key_ids    TEXT NOT NULL DEFAULT '[]',
    coupon_id      BIGINT REFERENCES coupons (id),
    status         TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'provisioning', 'active', 'failed', 'cancelled', 'expired', 'suspended', 'terminated')),
    status_message TEXT,
    instance_id    BIGINT REFERENCES instances (id),
    -- The end of the period paid for; set when the server first runs.
    paid_until     TEXT,
    suspended_at   TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_status ON orders (status, paid_until);
-- A host name names one live service per customer.
CREATE UNIQUE INDEX orders_hostname_per_user ON orders (user_id, hostname)
    WHERE status NOT IN ('cancelled', 'expired', 'terminated');

CREATE TABLE coupon_redemptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    coupon_id  BIGINT NOT NULL REFERENCES coupons (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    order_id   BIGINT NOT NULL UNIQUE REFERENCES orders (id),
    created_at TEXT NOT NULL
);
CREATE INDEX coupon_redemptions_user ON coupon_redemptions (coupon_id, user_id);

-- Every status change of every order: its history, and the events notifications consume.
CREATE TABLE order_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id      BIGINT NOT NULL REFERENCES orders (id),
    at            TEXT NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    note          TEXT
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- The last invoice number used per month (`YYYYMM`); taken in the invoice's own transaction,
-- so numbers have neither gaps nor duplicates.
CREATE TABLE invoice_counters (
    month       TEXT NOT NULL PRIMARY KEY,
    last_number BIGINT NOT NULL
);

CREATE TABLE invoices (
    id             INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    number         TEXT NOT NULL UNIQUE,
    user_id        BIGINT NOT NULL REFERENCES users (id),
    order_id       BIGINT NOT NULL REFERENCES orders (id),
    purpose        TEXT NOT NULL CHECK (purpose IN ('new', 'renewal')),
    period_months  BIGINT NOT NULL,
    subtotal       BIGINT NOT NULL,
    discount       BIGINT NOT NULL,
    tax_rate_bp    BIGINT NOT NULL,
    tax            BIGINT NOT NULL,
    total          BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('unpaid', 'paid', 'expired', 'cancelled', 'refunded')),
    -- The customer as billed, kept as it was on the day.
    customer_name  TEXT NOT NULL,
    customer_email TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    paid_at        TEXT,
    paid_via       TEXT,
    note           TEXT,
    updated_at     TEXT NOT NULL
);
CREATE INDEX invoices_user ON invoices (user_id, id);
CREATE INDEX invoices_order ON invoices (order_id, id);
-- One open renewal invoice per order.
CREATE UNIQUE INDEX invoices_one_open_renewal ON invoices (order_id)
    WHERE purpose = 'renewal' AND status = 'unpaid';

CREATE TABLE invoice_lines (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    position    BIGINT NOT NULL,
    description TEXT NOT NULL,
    quantity    BIGINT NOT NULL,
    unit_price  BIGINT NOT NULL,
    amount      BIGINT NOT NULL
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id, position);

-- A payment attempt at a gateway (Tripay, or the sandbox): one per channel the customer tried.
CREATE TABLE payments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    invoice_id   BIGINT NOT NULL REFERENCES invoices (id),
    gateway      TEXT NOT NULL,
    -- The gateway's transaction reference.
    reference    TEXT NOT NULL UNIQUE,
    channel      TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    fee_customer BIGINT NOT NULL,
    total_amount BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('unpaid', 'paid', 'expired', 'failed', 'refunded')),
    pay_code     TEXT,
    qr_string    TEXT,
    checkout_url TEXT,
    -- JSON: the channel's payment steps.
    instructions TEXT NOT NULL DEFAULT '[]',
    expires_at   TEXT NOT NULL,
    paid_at      TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_id, id);
