-- Organisations carry their unified social credit code (统一社会信用代码, GB 32100-2015),
-- checked by the server against its check character; one organisation per code.
ALTER TABLE organisations
    ADD COLUMN credit_code TEXT UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$');
