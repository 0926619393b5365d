-- What a case waits on, kept on the case (by clamor/cases.py refresh_waiting whenever a
-- customer message is filed or a response recorded), so the inbox reads the cases table
-- alone instead of joining every case's messages at each refresh: the customers' messages
-- since our last response, the newest of them, and whether any is a complaint.
ALTER TABLE cases ADD COLUMN waiting_mention_id VARCHAR;   -- newest unanswered message
ALTER TABLE cases ADD COLUMN waiting_since TIMESTAMPTZ;     -- oldest unanswered message
ALTER TABLE cases ADD COLUMN messages_waiting INTEGER DEFAULT 0;
ALTER TABLE cases ADD COLUMN waiting_complaint BOOLEAN DEFAULT false;
ALTER TABLE cases ADD COLUMN waiting_cues VARCHAR[] DEFAULT [];
ALTER TABLE cases ADD COLUMN waiting_kinds VARCHAR[] DEFAULT [];
ALTER TABLE cases ADD COLUMN waiting_lang VARCHAR;          -- of the newest message
ALTER TABLE cases ADD COLUMN waiting_followers BIGINT;      -- its author's, then

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
