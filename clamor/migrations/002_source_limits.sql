-- Real sources: how many fetched items were already stored, and sources paused from the
-- Sources page (the config says what may run; a pause stops it until resumed).

ALTER TABLE collector_runs ADD COLUMN duplicates INTEGER DEFAULT 0;

CREATE TABLE source_pauses (
    source     VARCHAR PRIMARY KEY,
    paused_by  VARCHAR NOT NULL,
    paused_at  TIMESTAMPTZ NOT NULL
);

-- Replies posted to a platform from Clamor (opt-in per source), or what a dry run would send.
CREATE SEQUENCE posted_replies_id;
CREATE TABLE posted_replies (
    id           BIGINT PRIMARY KEY DEFAULT nextval('posted_replies_id'),
    mention_id   VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    actor        VARCHAR NOT NULL,
    posted_at    TIMESTAMPTZ NOT NULL,
    text         VARCHAR NOT NULL,
    dry_run      BOOLEAN NOT NULL,
    platform_id  VARCHAR,
    outcome      VARCHAR NOT NULL              -- sent | dry run | failed: <why>
);
