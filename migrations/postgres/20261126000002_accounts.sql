-- Accounts, sessions, one-time e-mail tokens, 2FA recovery codes, audit log and the e-mail outbox.
-- Keep equivalent to migrations/sqlite/20261126000002_accounts.sql.
CREATE TABLE users (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    phone             TEXT,
    password_hash     TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
    language          TEXT NOT NULL CHECK (language IN ('id', 'en')),
    email_verified_at TIMESTAMPTZ,
    suspended_at      TIMESTAMPTZ,
    totp_secret       TEXT,
    totp_enabled_at   TIMESTAMPTZ,
    failed_logins     BIGINT NOT NULL,
    locked_until      TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

-- One row per signed-in device; its refresh tokens form one rotation family.
CREATE TABLE sessions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent     TEXT NOT NULL,
    ip             TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    last_used_at   TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    revoked_reason TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    -- Set when the token is exchanged; presenting it again means it was stolen.
    used_at    TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX email_tokens_user ON email_tokens (user_id);

CREATE TABLE recovery_codes (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

CREATE TABLE audit_log (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    action          TEXT NOT NULL,
    actor_user_id   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    subject_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    subject_email   TEXT,
    ip              TEXT,
    detail          TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Every outgoing e-mail, written in the transaction that caused it and delivered afterwards.
-- Without SMTP configured this is the dev outbox admins can read.
CREATE TABLE emails (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    last_error      TEXT
);
CREATE INDEX emails_pending ON emails (sent_at, next_attempt_at);
