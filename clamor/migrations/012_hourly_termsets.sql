-- Share of voice per company (clamor/explorer.py) from hourly counts: a company may have
-- several terms, and a mention naming two of them counts once, which per-term counts cannot
-- tell. Kept per hour and per set of terms a mention names (a few hundred distinct sets),
-- by the analysis pass beside hourly_mentions and hourly_terms; filled from what is there by
-- the store (rebuild_hourly) when this migration runs.
-- (From here on, migrations also run on a team store as written: no keys, indexes or
-- sequences; see clamor/lake.py.)
CREATE TABLE hourly_termsets (
    hour            TIMESTAMPTZ NOT NULL,
    terms           VARCHAR[] NOT NULL,          -- sorted, distinct
    source          VARCHAR NOT NULL,
    lang            VARCHAR NOT NULL,
    sentiment_label VARCHAR NOT NULL,
    complaint       BOOLEAN NOT NULL,
    is_own          BOOLEAN NOT NULL,
    mentions        BIGINT NOT NULL
);
