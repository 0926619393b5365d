-- Numbers (case and alert references, row ids) come from this table, not from sequences:
-- the team store (DuckLake, clamor/lake.py) has no sequences, and the code takes numbers
-- inside the write transaction that uses them (store.take_numbers), in both modes.
-- Seeded from the sequences' last values. mention_seq stays a sequence in the embedded file
-- (mentions are numbered in bulk as they are inserted); its row here serves the team store.
CREATE TABLE counters (
    name   VARCHAR PRIMARY KEY,
    value  BIGINT NOT NULL                       -- the last number taken
);
INSERT INTO counters
SELECT sequence_name, coalesce(last_value, start_value - 1)
FROM duckdb_sequences()
WHERE database_name = current_database() AND schema_name = 'main';
UPDATE counters SET value = (SELECT coalesce(max(seq), 0) FROM mentions)
WHERE name = 'mention_seq';

-- Ids the code now supplies: a forgotten insert fails loudly instead of drawing numbers from
-- the old sequence.
ALTER TABLE collector_runs ALTER id DROP DEFAULT;
ALTER TABLE events ALTER id DROP DEFAULT;
ALTER TABLE posted_replies ALTER id DROP DEFAULT;
ALTER TABLE surveys ALTER id DROP DEFAULT;
ALTER TABLE template_edits ALTER id DROP DEFAULT;
