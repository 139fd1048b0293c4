UPDATE funds SET state = state - 'left_at_end' WHERE state ? 'left_at_end';
