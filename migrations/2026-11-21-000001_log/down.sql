DROP TABLE sequencer_lease;
DROP TABLE documents;
DROP TABLE participant_keys;
DROP TABLE organisations;
DROP TABLE outbox;
DROP TABLE checkpoints;
DROP TABLE log_tiles;
DROP TABLE log_entries;
