-- Failed log-ins no longer lock an account (anyone could keep its owner out); guessing is slowed
-- per client in the server instead, and failed_logins only decides when the owner is e-mailed.
-- Keep equivalent to migrations/sqlite/20261208000019_no_account_lock.sql.
ALTER TABLE users DROP COLUMN locked_until;
