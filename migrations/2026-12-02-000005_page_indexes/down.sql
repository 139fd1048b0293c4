DROP INDEX tenders_awarded_recently;
DROP INDEX tenders_open_by_deadline;
DROP INDEX tenders_newest;
