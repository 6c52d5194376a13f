-- Units that never submit, and units withdrawn from a period (SQLite). The PostgreSQL file of
-- the same name defines the same columns and table.
--
-- After the self-assessment deadline the administrator may close the self-assessment of a unit
-- that did not submit (state `closed_unsubmitted`, "hết hạn, không nộp"); who closed it, when
-- and why stay on the assessment after appraisal starts, so results can note the fact. They
-- are cleared only when the unit, reopened, submits after all.
ALTER TABLE assessments ADD COLUMN closed_by TEXT;
ALTER TABLE assessments ADD COLUMN closed_at TEXT;
ALTER TABLE assessments ADD COLUMN closed_reason TEXT;

-- Each withdrawal of a unit from a period (rút khỏi kỳ), with its required reason: listed on
-- the period's progress page. Rows are never changed; a unit added again and withdrawn again
-- has two rows.
CREATE TABLE withdrawals (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    period        TEXT NOT NULL REFERENCES periods (code),
    unit          TEXT NOT NULL REFERENCES units (code),
    reason        TEXT NOT NULL,
    withdrawn_by  TEXT NOT NULL,
    withdrawn_at  TEXT NOT NULL
);
CREATE INDEX withdrawals_period ON withdrawals (period);
