-- Each case's newest complaint: the newest of its customer's messages the analysis judged
-- a complaint. Kept by filing (clamor/cases.py), so a customer's complaints of the week
-- (the inbox's repeat contact, "3rd complaint this week") are their cases counted by this
-- time, where every inbox draw read the week's posts and their verdicts (at 10 M mentions
-- 25 ms, only a dozen posts per handle, of a 100 ms draw; the cases 10 ms, every post).
-- Filled here from the filed messages.
ALTER TABLE cases ADD COLUMN last_complaint_at TIMESTAMPTZ;
UPDATE cases SET last_complaint_at = t.at
FROM (SELECT f.case_id, max(m.created_at) AS at
      FROM case_mentions f JOIN mentions m ON m.seq = f.seq JOIN analysis a ON a.seq = f.seq
      WHERE f.role = 'customer' AND a.complaint
      GROUP BY f.case_id) t
WHERE cases.id = t.case_id;
