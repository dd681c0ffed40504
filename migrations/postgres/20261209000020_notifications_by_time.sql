-- Live feeds look back over a user's last minute of notifications for ones whose transaction
-- committed after a newer id's had (ids are taken in one order and committed in another).
-- Keep equivalent to migrations/sqlite/20261209000020_notifications_by_time.sql.
CREATE INDEX notifications_user_created ON notifications (user_id, created_at);
