-- The sandbox cloud: servers simulated in our own database, so the whole flow runs with no
-- provider account. A change in progress is a target status that takes effect at `settles_at`.
-- Keep equivalent to migrations/postgres/20261126000006_sandbox_provider.sql.
CREATE TABLE sandbox_servers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    label         TEXT NOT NULL UNIQUE,
    region        TEXT NOT NULL,
    size          TEXT NOT NULL,
    image         TEXT NOT NULL,
    status        TEXT NOT NULL,
    target_status TEXT,
    settles_at    TEXT,
    action_id     BIGINT,
    action_kind   TEXT,
    failure       TEXT,
    ipv4          TEXT,
    ipv6          TEXT,
    ssh_keys      BIGINT NOT NULL,
    created_at    TEXT NOT NULL
);
