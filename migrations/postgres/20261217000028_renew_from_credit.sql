-- A customer may have their renewal invoices paid from their credit as they are issued
-- (domain::billing::credit). Keep equivalent to
-- migrations/sqlite/20261217000028_renew_from_credit.sql.
ALTER TABLE users ADD COLUMN renew_from_credit BOOLEAN NOT NULL DEFAULT FALSE;
