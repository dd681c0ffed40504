-- When the create request for a server was last sent, so a create whose answer was lost is
-- looked for (by its unique label) for a while before a second one is ever sent; and when a
-- graceful shutdown the guest ignored was turned into a hard power-off.
-- Keep equivalent to migrations/postgres/20261126000010_create_once.sql.
ALTER TABLE instances ADD COLUMN create_sent_at TEXT;
ALTER TABLE instance_actions ADD COLUMN forced_at TEXT;
