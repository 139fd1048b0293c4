ALTER TABLE tender_drafts DROP CONSTRAINT tender_drafts_pkey;
ALTER TABLE tender_drafts ADD PRIMARY KEY (id);
DROP TABLE blob_uploads;
