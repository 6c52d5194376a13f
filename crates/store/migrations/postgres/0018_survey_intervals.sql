-- How far the survey data settle a period's results: each unit's 90 % intervals of index and
-- rank from a bootstrap over the respondents of the period's closed surveys, and the
-- neighbours whose order the data do not settle. Computed when a survey closes (again at
-- each close) and kept with the computation of the results they rest on (`computed_at`), so
-- a later recomputation of the results shows them as older than the results.
CREATE TABLE survey_intervals (
    period      TEXT PRIMARY KEY REFERENCES periods (code),
    computed_at TEXT,
    intervals   JSONB NOT NULL,
    kept_at     TEXT NOT NULL
);

-- A published version keeps the intervals as they were when it was published (NULL when the
-- period had none, and for versions published before intervals were kept).
ALTER TABLE publications ADD COLUMN intervals JSONB;
