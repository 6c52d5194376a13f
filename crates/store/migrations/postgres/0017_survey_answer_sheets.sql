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

-- The counts of a question about a unit from a respondent group are one row, a JSON object
-- of option → answers, instead of one row per option: five times fewer rows to write on each
-- import and to read for every page of points.
CREATE TABLE survey_question_counts (
    survey   BIGINT NOT NULL REFERENCES surveys (id),
    grp      TEXT NOT NULL,
    unit     TEXT NOT NULL,
    question TEXT NOT NULL,
    counts   JSONB NOT NULL,
    PRIMARY KEY (survey, grp, unit, question)
);

INSERT INTO survey_question_counts (survey, grp, unit, question, counts)
SELECT survey, grp, unit, question, jsonb_object_agg(answer, count) FROM survey_counts
WHERE count > 0
GROUP BY survey, grp, unit, question;

DROP TABLE survey_counts;
ALTER TABLE survey_question_counts RENAME TO survey_counts;
ALTER INDEX survey_question_counts_pkey RENAME TO survey_counts_pkey;
