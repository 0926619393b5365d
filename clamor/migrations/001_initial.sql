-- The skeleton's tables: mentions with provenance, their analysis, collector state and
-- runs, and the triage state (cases and their append-only events).

CREATE TABLE mentions (
    id                VARCHAR PRIMARY KEY,        -- source:native_id
    source            VARCHAR NOT NULL,
    native_id         VARCHAR NOT NULL,
    url               VARCHAR,
    author            VARCHAR,
    author_followers  BIGINT,
    text              VARCHAR NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    collected_at      TIMESTAMPTZ NOT NULL,
    source_lang       VARCHAR,                    -- the language the platform claimed
    in_reply_to       VARCHAR,                    -- mention id of the parent post
    conversation_id   VARCHAR,                    -- mention id of the thread's root
    matched_terms     VARCHAR[] NOT NULL,
    matched_kinds     VARCHAR[] NOT NULL,
    is_own            BOOLEAN NOT NULL,           -- posted by one of the company's accounts
    collector         VARCHAR NOT NULL,           -- provenance: what collected it,
    collector_version VARCHAR NOT NULL,           --   which version,
    query             VARCHAR NOT NULL,           --   asking for what
    raw               JSON
);
CREATE INDEX mentions_created ON mentions (created_at);
CREATE INDEX mentions_parent ON mentions (in_reply_to);

CREATE TABLE analysis (
    mention_id        VARCHAR PRIMARY KEY,
    lang              VARCHAR,                    -- NULL: could not tell
    lang_confidence   DOUBLE,
    sentiment         DOUBLE,                     -- NULL: unscored (never 0 for "no model")
    sentiment_label   VARCHAR NOT NULL,           -- positive | neutral | negative | unscored
    sentiment_model   VARCHAR,
    complaint         BOOLEAN NOT NULL,
    complaint_score   DOUBLE NOT NULL,
    complaint_cues    VARCHAR[] NOT NULL,
    analysed_at       TIMESTAMPTZ NOT NULL,
    analysis_version  VARCHAR NOT NULL
);

CREATE TABLE cursors (
    source      VARCHAR NOT NULL,
    query       VARCHAR NOT NULL,
    cursor      VARCHAR,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, query)
);

CREATE SEQUENCE collector_runs_id;
CREATE TABLE collector_runs (
    id             BIGINT PRIMARY KEY DEFAULT nextval('collector_runs_id'),
    source         VARCHAR NOT NULL,
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ NOT NULL,
    status         VARCHAR NOT NULL,             -- ok | error | not_configured
    fetched        INTEGER NOT NULL,
    inserted       INTEGER NOT NULL,
    unreadable     INTEGER NOT NULL,
    unmatched      INTEGER NOT NULL,
    message        VARCHAR,                      -- what went wrong, in plain words
    rate_remaining INTEGER,
    rate_reset_at  TIMESTAMPTZ
);

-- Raw items a collector could not read: kept, with the reason, so nothing is lost.
CREATE TABLE unreadable_items (
    source       VARCHAR NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    reason       VARCHAR NOT NULL,
    raw          VARCHAR NOT NULL
);

CREATE TABLE cases (
    id          VARCHAR PRIMARY KEY,             -- C-00001, what agents quote to each other
    mention_id  VARCHAR NOT NULL UNIQUE,
    status      VARCHAR NOT NULL,                -- new | acknowledged | ignored
    opened_at   TIMESTAMPTZ NOT NULL
);
CREATE SEQUENCE case_number START 10001;

CREATE SEQUENCE events_id;
CREATE TABLE events (
    id           BIGINT PRIMARY KEY DEFAULT nextval('events_id'),
    case_id      VARCHAR NOT NULL,
    mention_id   VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,               -- responded | ignored
    actor        VARCHAR NOT NULL,
    happened_at  TIMESTAMPTZ NOT NULL,
    template_id  VARCHAR,
    reply_text   VARCHAR,
    note         VARCHAR
);
CREATE INDEX events_mention ON events (mention_id);
