-- Share of voice over a long period without filters (the Explore page's first view) from
-- hourly counts per set of terms alone: hourly_termsets keeps each set also per source,
-- language, tone and complaint, for filtered views, which at 10 M mentions is 2.9 M rows
-- to group by day; these totals are one row per hour and set of terms (0.4 M). Kept by the
-- analysis pass beside the other hourly counts, and filled here from hourly_termsets.
CREATE TABLE hourly_termset_totals (
    hour            TIMESTAMPTZ NOT NULL,
    terms           VARCHAR[] NOT NULL,          -- sorted, distinct
    is_own          BOOLEAN NOT NULL,
    mentions        BIGINT NOT NULL
);
INSERT INTO hourly_termset_totals
SELECT hour, terms, is_own, sum(mentions)::BIGINT FROM hourly_termsets GROUP BY ALL;
