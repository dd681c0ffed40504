-- A customer may let a service end with its paid period instead of renewing it
-- (domain::orders::self_service). Keep equivalent to
-- migrations/postgres/20261213000024_auto_renew.sql.
ALTER TABLE orders ADD COLUMN auto_renew BOOLEAN NOT NULL DEFAULT TRUE;
