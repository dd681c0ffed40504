-- Remember the last TOTP time step accepted per user, so a code cannot be replayed within its window.
-- Keep equivalent to migrations/postgres/20261126000003_totp_last_step.sql.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
