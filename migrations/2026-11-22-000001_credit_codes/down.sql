ALTER TABLE organisations DROP COLUMN credit_code;
