-- What the pages read most: the newest tenders, the open tenders by deadline, and the
-- tenders awarded most recently, each without scanning the table.
CREATE INDEX tenders_newest ON tenders (published_idx);
CREATE INDEX tenders_open_by_deadline ON tenders (tender_end)
    WHERE status IN ('active.enquiries', 'active.tendering');
CREATE INDEX tenders_awarded_recently ON tenders (updated_idx)
    WHERE status IN ('awarded', 'contracted', 'complete');
