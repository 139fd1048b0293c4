DROP TABLE notifications;
DROP TABLE outbox_cursors;
