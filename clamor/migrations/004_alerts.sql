-- Crisis alerts: one row per episode (a spike, a backlog, a staff name in negative mentions),
-- updated while it lasts, closed when the series is back to normal; what managers did with
-- it (alert_events, the audit trail); and every attempt to notify someone.
-- (No DEFAULT nextval columns: ids are made by the code. See store.migrate on DuckDB's WAL.)

CREATE SEQUENCE alert_number START 1001;
CREATE TABLE alerts (
    id                VARCHAR PRIMARY KEY,       -- A-1001
    kind              VARCHAR NOT NULL,          -- spike | backlog | staff
    series            VARCHAR NOT NULL,          -- complaints/lang=fa, term=SkyPoints, backlog…
    status            VARCHAR NOT NULL,          -- open | acknowledged | resolved
    severity          VARCHAR NOT NULL,          -- warning | critical
    started_at        TIMESTAMPTZ NOT NULL,      -- first evaluation that fired
    ended_at          TIMESTAMPTZ,               -- back to normal (NULL: still going)
    peak_at           TIMESTAMPTZ NOT NULL,
    observed          DOUBLE NOT NULL,           -- at the peak
    expected          DOUBLE NOT NULL,
    spread            DOUBLE NOT NULL,
    statistic         DOUBLE NOT NULL,
    threshold         DOUBLE NOT NULL,
    latest_at         TIMESTAMPTZ NOT NULL,      -- the latest evaluation while it lasted
    latest_observed   DOUBLE NOT NULL,
    latest_expected   DOUBLE NOT NULL,
    latest_statistic  DOUBLE NOT NULL,
    explanation       JSON,                      -- top terms, languages, sources, sample posts
    updated_at        TIMESTAMPTZ NOT NULL,
    acknowledged_by   VARCHAR,
    acknowledged_at   TIMESTAMPTZ,
    resolved_by       VARCHAR,
    resolved_at       TIMESTAMPTZ
);

CREATE TABLE alert_events (
    alert_id      VARCHAR NOT NULL,
    happened_at   TIMESTAMPTZ NOT NULL,
    actor         VARCHAR NOT NULL,              -- a person, or Clamor (detection)
    action        VARCHAR NOT NULL,              -- opened | escalated | acknowledged | resolved | note
    before_value  VARCHAR,
    after_value   VARCHAR,
    note          VARCHAR
);

CREATE TABLE notifications (
    alert_id      VARCHAR,                       -- NULL: a test notification
    target        VARCHAR NOT NULL,              -- the [[alerts.notify]] name
    attempted_at  TIMESTAMPTZ NOT NULL,
    outcome       VARCHAR NOT NULL,              -- sent | failed | quiet hours | rate limited…
    detail        VARCHAR
);
