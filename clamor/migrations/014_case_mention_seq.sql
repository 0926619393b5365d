-- Each filed mention's number (mentions.seq) beside its case. Filing appends rows in about
-- the order mentions arrive, so a range of numbers — a week's posts — is a few row groups
-- that DuckDB finds by their min/max, where a lookup by mention id costs ~40 µs per id in
-- the key's index (the inbox's repeat-contact count looked up hundreds per draw: up to 70 ms
-- at 10 M mentions). Filled here from mentions; the filing pass writes it from then on.
ALTER TABLE case_mentions ADD COLUMN seq BIGINT;
UPDATE case_mentions SET seq = m.seq FROM mentions m WHERE m.id = case_mentions.mention_id;
