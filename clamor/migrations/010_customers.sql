-- Customer history (clamor/customers.py): a customer is one person across sources. Each
-- handle is its own customer until an agent links it to another one's; a customer's key is
-- the "source:author" of one of its handles. Notes about a customer are private to the desk
-- (never in an analyst's export) and append-only. customer_events is the audit trail of
-- everything done to a customer's record: links, unlinks, notes, exports and erasures.
CREATE TABLE customer_links (
    source     VARCHAR NOT NULL,
    author     VARCHAR NOT NULL,
    customer   VARCHAR NOT NULL,                 -- the customer key the handle belongs to
    linked_by  VARCHAR NOT NULL,
    linked_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, author)
);

CREATE TABLE customer_notes (
    customer    VARCHAR NOT NULL,
    note        VARCHAR NOT NULL,
    written_by  VARCHAR NOT NULL,
    written_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE customer_events (
    happened_at  TIMESTAMPTZ NOT NULL,
    actor        VARCHAR NOT NULL,               -- a person, or "command line"
    action       VARCHAR NOT NULL,               -- linked | unlinked | note | exported | erased
    customer     VARCHAR NOT NULL,               -- its key then (erased: the pseudonym)
    detail       VARCHAR                         -- the handle, the note, what was removed
);
