-- The periods the scheduler watches become columns, so that it finds the tenders due
-- without reading their JSON. The listing's columns now follow amendments (until now
-- they kept what the tender was published with): they are recomputed from the state.
ALTER TABLE tenders
    ADD COLUMN enquiry_end TIMESTAMPTZ,
    ADD COLUMN reveal_end  TIMESTAMPTZ;
UPDATE tenders SET
    enquiry_end  = (state->'tender'->>'enquiry_end')::timestamptz,
    reveal_end   = (state->'tender'->>'reveal_end')::timestamptz,
    tender_end   = date_trunc('second', (state->'tender'->>'tender_end')::timestamptz),
    title        = coalesce(state->'tender'->'title'->>'zh', state->'tender'->'title'->>'en', ''),
    value_amount = coalesce((state->'tender'->'value'->>'amount')::numeric, 0),
    currency     = coalesce(state->'tender'->'value'->>'currency', '');
CREATE INDEX tenders_enquiries_due ON tenders (enquiry_end) WHERE status = 'active.enquiries';
CREATE INDEX tenders_tendering_due ON tenders (tender_end) WHERE status = 'active.tendering';
CREATE INDEX tenders_reveal_due ON tenders (reveal_end) WHERE status = 'opening';
