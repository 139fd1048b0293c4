ALTER TABLE donor_vault
    DROP CONSTRAINT donor_vault_commitment_check,
    ADD CONSTRAINT donor_vault_commitment_check CHECK (commitment ~ '^[0-9a-f]{64}$');

CREATE INDEX fund_donations_by_donor ON fund_donations (donor_commitment) WHERE donor_commitment IS NOT NULL;
