DROP TABLE tender_bids;
