-- Casework: a case gathers a customer's messages (same thread, or soon after one another),
-- has one owner at a time, a promise (due_at), and a life: new -> acknowledged ->
-- in_progress -> waiting_on_customer -> resolved, or ignored; a new customer message reopens.
-- Times kept on the case (first response, last customer message…) are summaries of the
-- append-only events and case_mentions, kept so the inbox reads one row per case.

CREATE TABLE cases_v3 (
    id                 VARCHAR PRIMARY KEY,     -- C-10001: what agents quote to each other
    mention_id         VARCHAR NOT NULL,        -- the customer message that opened it
    source             VARCHAR NOT NULL,
    author             VARCHAR,
    conversation_id    VARCHAR NOT NULL,        -- thread root of the opening message
    status             VARCHAR NOT NULL,
    opened_at          TIMESTAMPTZ NOT NULL,    -- the opening message's time (clocks start)
    owner              VARCHAR,                 -- one person at a time, or nobody yet
    team               VARCHAR,
    escalated_to       VARCHAR,
    due_at             TIMESTAMPTZ,             -- what a holding reply promised
    first_response_at  TIMESTAMPTZ,             -- agent in Clamor or brand on the platform
    last_response_at   TIMESTAMPTZ,
    last_customer_at   TIMESTAMPTZ NOT NULL,
    messages           INTEGER NOT NULL,        -- customer messages in the case
    resolved_at        TIMESTAMPTZ,
    follow_up_at       TIMESTAMPTZ,             -- the 24-hour follow-up, when resolved
    followed_up_at     TIMESTAMPTZ,
    reopened           INTEGER NOT NULL DEFAULT 0
);

INSERT INTO cases_v3
SELECT c.id, c.mention_id, m.source, m.author, coalesce(m.conversation_id, m.id),
       CASE c.status WHEN 'ignored' THEN 'ignored' ELSE c.status END,
       m.created_at, NULL, NULL, NULL, NULL,
       (SELECT min(e.happened_at) FROM events e WHERE e.case_id = c.id AND e.kind = 'responded'),
       (SELECT max(e.happened_at) FROM events e WHERE e.case_id = c.id AND e.kind = 'responded'),
       m.created_at, 1, NULL, NULL, NULL, 0
FROM cases c JOIN mentions m ON m.id = c.mention_id;

DROP TABLE cases;
ALTER TABLE cases_v3 RENAME TO cases;
-- No secondary indexes on cases: its rows are updated often, and DuckDB's zone maps serve
-- the lookups by author and status well enough.

-- Which case each message belongs to: customers' messages, and the brand's own replies
-- collected from the platform (role 'response'). Own posts that answer no case are noted
-- with case_id NULL so they are looked at once.
CREATE TABLE case_mentions (
    mention_id  VARCHAR PRIMARY KEY,
    case_id     VARCHAR,
    role        VARCHAR NOT NULL                -- customer | response | none
);
INSERT INTO case_mentions SELECT mention_id, id, 'customer' FROM cases;
CREATE INDEX case_mentions_case ON case_mentions (case_id);

-- Events are the audit log: who did what, when, and what it changed.
ALTER TABLE events ADD COLUMN before_value VARCHAR;
ALTER TABLE events ADD COLUMN after_value VARCHAR;
CREATE INDEX events_case ON events (case_id);

-- Survey answers per case: CSAT 1-5, NPS 0-10, CES 1-7, typed by an agent or imported.
CREATE SEQUENCE surveys_id;
CREATE TABLE surveys (
    id           BIGINT PRIMARY KEY DEFAULT nextval('surveys_id'),
    case_id      VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,              -- csat | nps | ces
    score        INTEGER NOT NULL,
    answered_at  TIMESTAMPTZ NOT NULL,
    recorded_by  VARCHAR NOT NULL,              -- an agent's name, or "import: FILE"
    recorded_at  TIMESTAMPTZ NOT NULL
);

-- Managers' edits to reply templates, append-only: the newest row per id wins; empty text
-- deletes. The bundled library is the base.
CREATE SEQUENCE template_edits_id;
CREATE TABLE template_edits (
    id           BIGINT PRIMARY KEY DEFAULT nextval('template_edits_id'),
    template_id  VARCHAR NOT NULL,
    lang         VARCHAR NOT NULL,
    category     VARCHAR NOT NULL,
    title        VARCHAR NOT NULL,
    text         VARCHAR NOT NULL,
    edited_by    VARCHAR NOT NULL,
    edited_at    TIMESTAMPTZ NOT NULL,
    before_text  VARCHAR
);
