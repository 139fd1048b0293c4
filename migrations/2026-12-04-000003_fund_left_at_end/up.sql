-- A fund's state records what it held at its end (`left_at_end`, in units): set by the
-- first entry about it logged at or after the end of its period, to the balance before
-- that entry, or by its closing. Funds that already had such an entry, or a closing, get
-- it here as the log says: what came in minus what was paid by entries logged before the
-- end (a fund closed earlier moved no money after its closing), so that the replay, which
-- computes it entry by entry, finds the same state.
UPDATE funds f
SET state = f.state || jsonb_build_object('left_at_end',
    (SELECT coalesce(sum(d.amount), 0) FROM fund_donations d
       JOIN log_entries e ON e.idx = d.entry_idx
      WHERE d.fund_id = f.id AND e.logged_at < f.period_end)
  - (SELECT coalesce(sum(b.amount), 0) FROM fund_disbursements b
       JOIN log_entries e ON e.idx = b.executed_idx
      WHERE b.fund_id = f.id AND e.logged_at < f.period_end))
WHERE NOT f.state ? 'left_at_end'
  AND (f.state ? 'closed'
       OR (SELECT e.logged_at FROM log_entries e WHERE e.idx = f.updated_idx) >= f.period_end);
