ALTER TABLE registrations DROP COLUMN organisation_idx;
