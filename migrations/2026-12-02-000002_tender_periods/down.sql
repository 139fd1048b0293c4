DROP INDEX tenders_enquiries_due;
DROP INDEX tenders_tendering_due;
DROP INDEX tenders_reveal_due;
ALTER TABLE tenders DROP COLUMN enquiry_end, DROP COLUMN reveal_end;
