-- The browser console: a one-time ticket opens one connection to a server's screen; each
-- connection is a session, kept for the record (who, which server, from where, how long, how
-- many bytes) and counted against a per-user cap while it is open.
-- The sandbox keeps the host name its servers were created with, to show on their screen.
-- Keep equivalent to migrations/sqlite/20261127000015_console.sql.
CREATE TABLE console_tickets (
    -- Only the ticket's hash: the ticket itself travels in the WebSocket URL.
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    instance_id BIGINT NOT NULL REFERENCES instances (id),
    client_ip   TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX console_tickets_expiry ON console_tickets (expires_at);

CREATE TABLE console_sessions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    instance_id     BIGINT NOT NULL REFERENCES instances (id),
    client_ip       TEXT NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    -- Refreshed while the session runs, so one whose process died stops counting as open.
    last_seen_at    TIMESTAMPTZ NOT NULL,
    ended_at        TIMESTAMPTZ,
    end_reason      TEXT,
    bytes_to_client BIGINT NOT NULL DEFAULT 0,
    bytes_to_server BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX console_sessions_open ON console_sessions (user_id, ended_at);
CREATE INDEX console_sessions_instance ON console_sessions (instance_id, started_at);

ALTER TABLE sandbox_servers ADD COLUMN hostname TEXT;
