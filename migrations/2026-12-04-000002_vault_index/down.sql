CREATE INDEX donor_vault_by_fund ON donor_vault (fund_id);
