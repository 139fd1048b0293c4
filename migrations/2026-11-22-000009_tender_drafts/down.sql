DROP TABLE tender_drafts;
