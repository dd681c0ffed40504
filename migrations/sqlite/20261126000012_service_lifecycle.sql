-- Suspension and termination: the platform itself powers off a suspended service's server and
-- deletes a terminated one, so an action may have no user behind it (requested_by NULL), and a
-- suspended server refuses its owner's actions until the service is paid again.
-- Keep equivalent to migrations/postgres/20261126000012_service_lifecycle.sql.
-- SQLite cannot drop NOT NULL in place: the table is rebuilt with the same rows.
CREATE TABLE instance_actions_rebuilt (
    id              INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    instance_id     BIGINT NOT NULL REFERENCES instances (id),
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
    image_slug      TEXT,
    root_password   TEXT,
    provider_handle TEXT,
    error           TEXT,
    requested_by    BIGINT REFERENCES users (id),
    created_at      TEXT NOT NULL,
    finished_at     TEXT,
    forced_at       TEXT
);
INSERT INTO instance_actions_rebuilt (id, instance_id, kind, state, image_slug, root_password,
    provider_handle, error, requested_by, created_at, finished_at, forced_at)
SELECT id, instance_id, kind, state, image_slug, root_password, provider_handle, error,
    requested_by, created_at, finished_at, forced_at FROM instance_actions;
DROP TABLE instance_actions;
ALTER TABLE instance_actions_rebuilt RENAME TO instance_actions;
CREATE UNIQUE INDEX instance_actions_one_open ON instance_actions (instance_id) WHERE state IN ('pending', 'running');

ALTER TABLE instances ADD COLUMN suspended_at TEXT;
