-- Customers' SSH public keys, chosen at order and rebuild and installed by each provider adapter.
-- `public_key` is the normalised one-line OpenSSH form; `fingerprint` is `SHA256:…` as
-- `ssh-keygen -l` prints it. One name and one key per customer, so a repeat is refused.
-- Keep equivalent to migrations/postgres/20261126000009_ssh_keys.sql.
CREATE TABLE ssh_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    algorithm   TEXT NOT NULL CHECK (algorithm IN ('ed25519', 'ecdsa', 'rsa')),
    bits        INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (user_id, name),
    UNIQUE (user_id, fingerprint)
);
