-- A customer's company, address and NPWP for their tax invoices (domain::accounts::billing_details),
-- copied onto each invoice as it is issued; the paid invoice's PDF attached to the "payment
-- received" e-mail (domain::notifications, domain::mail).
-- Keep equivalent to migrations/sqlite/20261215000026_billing_details.sql.
ALTER TABLE users ADD COLUMN company_name TEXT;
ALTER TABLE users ADD COLUMN billing_address TEXT;
ALTER TABLE users ADD COLUMN npwp TEXT;

ALTER TABLE invoices ADD COLUMN customer_company TEXT;
ALTER TABLE invoices ADD COLUMN customer_address TEXT;
ALTER TABLE invoices ADD COLUMN customer_npwp TEXT;

-- The invoice whose PDF goes with the notification's e-mail. No foreign key, as with `link`: a
-- notification is what was said, and its e-mail goes without the file if the invoice is gone.
ALTER TABLE notifications ADD COLUMN attached_invoice_id BIGINT;

CREATE TABLE email_attachments (
    email_id     BIGINT NOT NULL REFERENCES emails (id),
    position     BIGINT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content      BYTEA NOT NULL,
    PRIMARY KEY (email_id, position)
);
