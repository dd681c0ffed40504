-- Durable background work: every side effect that must survive a crash is a row here.
-- Keep equivalent to migrations/postgres/20261126000004_jobs.sql.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    run_at       TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    -- While running: who holds the job and until when; after that another worker may take it.
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX jobs_due ON jobs (state, run_at);
