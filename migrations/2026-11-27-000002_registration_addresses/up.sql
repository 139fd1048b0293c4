-- An application to register does not say whether its administrator's address has an
-- account or another application waiting (that would tell anyone who has applied with
-- an address): the address is checked when a platform administrator approves.
DROP INDEX registrations_pending_email;
CREATE INDEX registrations_by_email ON registrations (admin_email) WHERE status = 'pending';
