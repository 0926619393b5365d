-- The explorer at millions of mentions: a number per mention (for a compact search index),
-- the search index itself, and hourly counts that trends read instead of every mention.

-- Numbered analysed first, then the rest in the order they came: the analysis pass takes
-- mentions in number order, so every number up to the highest analysed one is analysed, and
-- "what is new" is a range, not a search of the whole table.
CREATE SEQUENCE mention_seq;
ALTER TABLE mentions ADD COLUMN seq BIGINT;
UPDATE mentions SET seq = r.n
FROM (SELECT m.id, row_number() OVER (ORDER BY a.mention_id IS NULL, m.collected_at,
                                               m.created_at, m.id) AS n
      FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id) r
WHERE mentions.id = r.id;
SELECT count(nextval('mention_seq')) FROM mentions;  -- new numbers start after these
-- The analysis carries the number too: joining on it is twice as fast as on the id.
ALTER TABLE analysis ADD COLUMN seq BIGINT;
UPDATE analysis SET seq = m.seq FROM mentions m WHERE m.id = analysis.mention_id;

-- The words of every analysed mention (analysis/tokens.py): word -> mention number. New
-- words land in search_recent, a small unsorted table; the store moves them into
-- search_words sorted by word once there are enough of them, and `clamor maintain` re-sorts
-- search_words whole, so a lookup reads a few row groups: DuckDB skips the others by their
-- smallest and largest word.
CREATE TABLE search_words (word VARCHAR NOT NULL, seq BIGINT NOT NULL);
CREATE TABLE search_recent (word VARCHAR NOT NULL, seq BIGINT NOT NULL);

-- Mentions analysed before this index existed are indexed by the next analysis pass, in
-- mention-number order from here (the row goes when it is done).
CREATE TABLE search_backfill (next_seq BIGINT NOT NULL);
INSERT INTO search_backfill SELECT 0 WHERE EXISTS (SELECT 1 FROM analysis);

-- Analysed mentions per hour and per everything the explorer filters cheaply on; a mention
-- counts once in hourly_mentions and once per matched term in hourly_terms. Kept by the
-- analysis pass (each mention is added once, when it is analysed).
CREATE TABLE hourly_mentions (
    hour            TIMESTAMPTZ NOT NULL,
    source          VARCHAR NOT NULL,
    lang            VARCHAR NOT NULL,            -- 'und': could not tell
    sentiment_label VARCHAR NOT NULL,
    complaint       BOOLEAN NOT NULL,
    is_own          BOOLEAN NOT NULL,
    mentions        BIGINT NOT NULL,
    PRIMARY KEY (hour, source, lang, sentiment_label, complaint, is_own)
);
CREATE TABLE hourly_terms (                      -- a term's kind is in the config
    hour            TIMESTAMPTZ NOT NULL,
    term            VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    lang            VARCHAR NOT NULL,
    sentiment_label VARCHAR NOT NULL,
    complaint       BOOLEAN NOT NULL,
    is_own          BOOLEAN NOT NULL,
    mentions        BIGINT NOT NULL,
    PRIMARY KEY (hour, term, source, lang, sentiment_label, complaint, is_own)
);

-- Searches analysts keep: a name, whose, and the filters as JSON (clamor/explorer.py).
CREATE TABLE saved_searches (
    owner       VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    filters     JSON NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (owner, name)
);
