DROP INDEX registrations_by_email;
CREATE UNIQUE INDEX registrations_pending_email ON registrations (admin_email) WHERE status = 'pending';
