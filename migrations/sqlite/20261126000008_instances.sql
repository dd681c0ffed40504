-- Customers' servers, what happened to them, and the actions they asked for.
-- Keep equivalent to migrations/postgres/20261126000008_instances.sql.
CREATE TABLE instances (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id               BIGINT NOT NULL REFERENCES users (id),
    -- Set by the ordering module; admins can provision without an order.
    order_id              BIGINT,
    plan_id               BIGINT NOT NULL REFERENCES plans (id),
    provider              TEXT NOT NULL,
    provider_instance_id  TEXT,
    -- Unique across the installation: how a create whose answer was lost is found again.
    label                 TEXT NOT NULL UNIQUE,
    hostname              TEXT NOT NULL,
    region_slug           TEXT NOT NULL,
    size_slug             TEXT NOT NULL,
    image_slug            TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('provisioning', 'running', 'stopped', 'deleting', 'deleted', 'error')),
    provider_status       TEXT,
    status_message        TEXT,
    ipv4                  TEXT,
    ipv6                  TEXT,
    -- The public keys installed at create (JSON), kept for rebuilds.
    ssh_keys              TEXT NOT NULL,
    -- Encrypted: the password the provider accepted, and one sent but not yet confirmed.
    root_password         TEXT,
    pending_root_password TEXT,
    password_revealed_at  TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    ready_at              TEXT
);
CREATE INDEX instances_user ON instances (user_id);
CREATE UNIQUE INDEX instances_hostname_per_user ON instances (user_id, hostname) WHERE status <> 'deleted';

CREATE TABLE instance_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    instance_id BIGINT NOT NULL REFERENCES instances (id),
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('info', 'success', 'error')),
    message     TEXT
);
CREATE INDEX instance_events_instance ON instance_events (instance_id, id);

CREATE TABLE instance_actions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    instance_id     BIGINT NOT NULL REFERENCES instances (id),
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
    image_slug      TEXT,
    -- Encrypted; the new root password a reset or rebuild sends.
    root_password   TEXT,
    provider_handle TEXT,
    error           TEXT,
    requested_by    BIGINT NOT NULL REFERENCES users (id),
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
-- One action at a time per server, enforced by the database as well as checked first.
CREATE UNIQUE INDEX instance_actions_one_open ON instance_actions (instance_id) WHERE state IN ('pending', 'running');
