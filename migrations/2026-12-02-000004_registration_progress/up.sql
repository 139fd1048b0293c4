-- The entry that logged an application's organisation, set by its approval as soon as it
-- is logged. An approval that stopped half-way goes on from there; an organisation on the
-- log that no approval of this application logged is never taken for the applicant's
-- (an application naming a buyer's id and public credit code must not make its applicant
-- that buyer's administrator).
ALTER TABLE registrations ADD COLUMN organisation_idx BIGINT;
