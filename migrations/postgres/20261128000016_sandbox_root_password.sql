-- The sandbox keeps the root password it was given the way a real cloud puts it into a server's
-- image: only as a SHA-512 crypt hash (`$6$…`), which its VM console's guest writes to
-- /etc/shadow. NULL when the server has only SSH keys (root login is then locked).
-- Keep equivalent to migrations/sqlite/20261128000016_sandbox_root_password.sql.
ALTER TABLE sandbox_servers ADD COLUMN root_password_hash TEXT;
