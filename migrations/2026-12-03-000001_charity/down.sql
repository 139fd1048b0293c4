DROP TABLE fund_recipients;
DROP TABLE fund_channels;
DROP TABLE fund_days;
DROP TABLE donor_vault;
DROP TABLE fund_allocations;
DROP TABLE fund_disbursements;
DROP TABLE fund_donations;
DROP TABLE funds;
