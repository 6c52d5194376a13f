-- Counts kept beside a survey's answers, added to in the transaction that stores the answers:
-- how many respondents of a group gave each option about a unit to a question, and how many
-- respondents of a group answered about a unit. Points and samples read these few hundred
-- thousand counts instead of grouping millions of answers on every page.
CREATE TABLE survey_counts (
    survey   INTEGER NOT NULL REFERENCES surveys (id),
    grp      TEXT NOT NULL,
    unit     TEXT NOT NULL,
    question TEXT NOT NULL,
    answer   TEXT NOT NULL,
    count    INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (survey, grp, unit, question, answer)
) WITHOUT ROWID;

CREATE TABLE survey_unit_respondents (
    survey      INTEGER NOT NULL REFERENCES surveys (id),
    grp         TEXT NOT NULL,
    unit        TEXT NOT NULL,
    respondents INTEGER NOT NULL CHECK (respondents >= 0),
    PRIMARY KEY (survey, grp, unit)
) WITHOUT ROWID;

INSERT INTO survey_counts (survey, grp, unit, question, answer, count)
SELECT survey, grp, unit, question, answer, COUNT(*) FROM survey_answers
GROUP BY survey, grp, unit, question, answer;

INSERT INTO survey_unit_respondents (survey, grp, unit, respondents)
SELECT survey, grp, unit, COUNT(DISTINCT respondent) FROM survey_answers
GROUP BY survey, grp, unit;
