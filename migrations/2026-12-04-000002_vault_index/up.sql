-- Nothing reads the vault by fund (every query finds a row by its commitment), and every
-- donation with a donor writes a row here in the sequencer's transaction: one index fewer
-- to keep.
DROP INDEX donor_vault_by_fund;
