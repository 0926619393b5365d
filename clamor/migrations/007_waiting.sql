-- What a case waits on, kept on the case (by clamor/cases.py refresh_waiting whenever a
-- customer message is filed or a response recorded), so the inbox reads the cases table
-- alone instead of joining every case's messages at each refresh: the customers' messages
-- since our last response, the newest of them, and whether any is a complaint.
-- (A new table rather than ALTERs: DuckDB 1.5 fails adding several columns to a table with
-- a primary key and rows, "duplicate key".)
CREATE TABLE cases_v7 (
    id                 VARCHAR PRIMARY KEY,
    mention_id         VARCHAR NOT NULL,
    source             VARCHAR NOT NULL,
    author             VARCHAR,
    conversation_id    VARCHAR NOT NULL,
    status             VARCHAR NOT NULL,
    opened_at          TIMESTAMPTZ NOT NULL,
    owner              VARCHAR,
    team               VARCHAR,
    escalated_to       VARCHAR,
    due_at             TIMESTAMPTZ,
    first_response_at  TIMESTAMPTZ,
    last_response_at   TIMESTAMPTZ,
    last_customer_at   TIMESTAMPTZ NOT NULL,
    messages           INTEGER NOT NULL,
    resolved_at        TIMESTAMPTZ,
    follow_up_at       TIMESTAMPTZ,
    followed_up_at     TIMESTAMPTZ,
    reopened           INTEGER NOT NULL DEFAULT 0,
    waiting_mention_id VARCHAR,                    -- newest unanswered customer message
    waiting_since      TIMESTAMPTZ,                -- oldest unanswered customer message
    messages_waiting   INTEGER NOT NULL DEFAULT 0,
    waiting_complaint  BOOLEAN NOT NULL DEFAULT false,
    waiting_cues       VARCHAR[] NOT NULL DEFAULT [],
    waiting_kinds      VARCHAR[] NOT NULL DEFAULT [],
    waiting_lang       VARCHAR,                    -- of the newest message
    waiting_followers  BIGINT                      -- its author's, then
);
INSERT INTO cases_v7 BY NAME SELECT * FROM cases;  -- refresh_waiting fills the rest
DROP TABLE cases;
ALTER TABLE cases_v7 RENAME TO cases;

-- Analysed mentions not filed yet (the analysis pass adds them, filing takes them off), so
-- filing looks at what is new instead of every mention against every filed one.
CREATE TABLE filing_queue (
    seq         BIGINT PRIMARY KEY,
    mention_id  VARCHAR NOT NULL
);
INSERT INTO filing_queue
SELECT m.seq, m.id FROM mentions m JOIN analysis a ON a.mention_id = m.id
LEFT JOIN case_mentions f ON f.mention_id = m.id
WHERE f.mention_id IS NULL;
