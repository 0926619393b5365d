-- Trends and share of voice in time zones whose hours do not start on a UTC hour (Tehran
-- +03:30, India +05:30, Nepal +05:45) from the hourly counts too: each hour's mentions are
-- also counted by the quarter of the hour they fall in (q1: minutes 15-29, q2: 30-44, q3:
-- 45-59; minutes 0-14 are the rest, mentions - q1 - q2 - q3), so the quarters add up to any
-- zone's hours, days and weeks (clamor/explorer.py). Kept by the analysis pass beside the
-- counts (clamor/store.py, _add_hourly), and filled here from the analysed mentions, in
-- place (counting every table again took 122 s at 10 M mentions, this 11 s). Runs on a
-- team store as written. (Hours are UTC hours: the store sets DuckDB's zone to UTC.)
ALTER TABLE hourly_mentions ADD COLUMN q1 BIGINT DEFAULT 0;
ALTER TABLE hourly_mentions ADD COLUMN q2 BIGINT DEFAULT 0;
ALTER TABLE hourly_mentions ADD COLUMN q3 BIGINT DEFAULT 0;
ALTER TABLE hourly_termsets ADD COLUMN q1 BIGINT DEFAULT 0;
ALTER TABLE hourly_termsets ADD COLUMN q2 BIGINT DEFAULT 0;
ALTER TABLE hourly_termsets ADD COLUMN q3 BIGINT DEFAULT 0;
ALTER TABLE hourly_termset_totals ADD COLUMN q1 BIGINT DEFAULT 0;
ALTER TABLE hourly_termset_totals ADD COLUMN q2 BIGINT DEFAULT 0;
ALTER TABLE hourly_termset_totals ADD COLUMN q3 BIGINT DEFAULT 0;

CREATE TEMP TABLE quarter_counts AS
SELECT date_trunc('hour', m.created_at) AS hour, m.source,
       coalesce(a.lang, 'und') AS lang, a.sentiment_label, a.complaint, m.is_own,
       list_sort(list_distinct(m.matched_terms)) AS terms,
       (floor(epoch_us(m.created_at) / 900000000)::BIGINT % 4)::INTEGER AS quarter,
       count(*) AS mentions
FROM mentions m JOIN analysis a ON a.seq = m.seq
GROUP BY ALL;

UPDATE hourly_mentions h SET q1 = c.q1, q2 = c.q2, q3 = c.q3
FROM (SELECT hour, source, lang, sentiment_label, complaint, is_own,
             coalesce(sum(mentions) FILTER (WHERE quarter = 1), 0) AS q1,
             coalesce(sum(mentions) FILTER (WHERE quarter = 2), 0) AS q2,
             coalesce(sum(mentions) FILTER (WHERE quarter = 3), 0) AS q3
      FROM temp.quarter_counts GROUP BY ALL) c
WHERE h.hour = c.hour AND h.source = c.source AND h.lang = c.lang
  AND h.sentiment_label = c.sentiment_label AND h.complaint = c.complaint
  AND h.is_own = c.is_own;

UPDATE hourly_termsets h SET q1 = c.q1, q2 = c.q2, q3 = c.q3
FROM (SELECT hour, terms, source, lang, sentiment_label, complaint, is_own,
             coalesce(sum(mentions) FILTER (WHERE quarter = 1), 0) AS q1,
             coalesce(sum(mentions) FILTER (WHERE quarter = 2), 0) AS q2,
             coalesce(sum(mentions) FILTER (WHERE quarter = 3), 0) AS q3
      FROM temp.quarter_counts GROUP BY ALL) c
WHERE h.hour = c.hour AND h.terms = c.terms AND h.source = c.source AND h.lang = c.lang
  AND h.sentiment_label = c.sentiment_label AND h.complaint = c.complaint
  AND h.is_own = c.is_own;

UPDATE hourly_termset_totals h SET q1 = c.q1, q2 = c.q2, q3 = c.q3
FROM (SELECT hour, terms, is_own,
             coalesce(sum(mentions) FILTER (WHERE quarter = 1), 0) AS q1,
             coalesce(sum(mentions) FILTER (WHERE quarter = 2), 0) AS q2,
             coalesce(sum(mentions) FILTER (WHERE quarter = 3), 0) AS q3
      FROM temp.quarter_counts GROUP BY ALL) c
WHERE h.hour = c.hour AND h.terms = c.terms AND h.is_own = c.is_own;

DROP TABLE temp.quarter_counts;
