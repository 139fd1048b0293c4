DROP TABLE tenders;
