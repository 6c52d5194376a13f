-- A respondent's submitted answers are kept on the respondent's row, as one JSON array of
-- `[unit, question, answer]` (the shape a web response's draft already has), instead of one row
-- per answer. Points and samples read the counts kept beside them (0016), so the answers are
-- only read whole, one respondent at a time (resampling, a respondent's own form): a million
-- answers are fifty thousand rows to write rather than a million keyed rows.
ALTER TABLE survey_respondents ADD COLUMN answers JSONB;

UPDATE survey_respondents r SET answers = COALESCE((
    SELECT jsonb_agg(jsonb_build_array(a.unit, a.question, a.answer))
    FROM survey_answers a
    WHERE a.survey = r.survey AND a.respondent = r.respondent
), '[]'::jsonb)
WHERE submitted_at IS NOT NULL;

DROP TABLE survey_answers;
