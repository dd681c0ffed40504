-- A notification category of its own for what a customer asked of a server (power, reboot,
-- password reset, rebuild) done or failed, e-mailed only to those who turn that on
-- (domain::notifications). Earlier action notifications stay in `server`, as they were sent.
-- An e-mail now shows the invoice its notification is about (`attached_invoice_id`); its PDF goes
-- along only where `invoice_pdf` says so, as it did for every earlier row that named one.
-- Keep equivalent to migrations/sqlite/20261221000032_action_notifications.sql.
ALTER TABLE notifications DROP CONSTRAINT notifications_category_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_category_check
    CHECK (category IN ('billing', 'server', 'actions', 'security', 'admin'));
ALTER TABLE notification_preferences DROP CONSTRAINT notification_preferences_category_check;
ALTER TABLE notification_preferences ADD CONSTRAINT notification_preferences_category_check
    CHECK (category IN ('billing', 'server', 'actions', 'security', 'admin'));

ALTER TABLE notifications ADD COLUMN invoice_pdf BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE notifications SET invoice_pdf = attached_invoice_id IS NOT NULL;
