-- The company's knowledge base: questions and answers per topic and language, which answer
-- suggestions are drawn from (clamor/knowledge.py). Append-only like template_edits: every
-- change is a row with who and when and the answer before it, so the table is its own audit
-- trail; the current entry is the newest row of its (topic, lang), and an empty answer
-- deletes it.
CREATE TABLE knowledge_edits (
    topic          VARCHAR NOT NULL,         -- lost-bag: the same question in every language
    lang           VARCHAR NOT NULL,
    question       VARCHAR NOT NULL,
    answer         VARCHAR NOT NULL,         -- '' deletes the entry
    tags           VARCHAR[] NOT NULL,
    team           VARCHAR,                  -- the team that owns the answer
    edited_by      VARCHAR NOT NULL,
    edited_at      TIMESTAMPTZ NOT NULL,
    before_answer  VARCHAR                   -- the answer this edit replaced (NULL: new)
);
