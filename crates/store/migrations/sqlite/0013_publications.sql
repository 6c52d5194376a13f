-- Publication by decision: each version of a period's published results is an immutable
-- snapshot of everything shown (unit results with per-leaf points, group statistics, the index
-- set of each group, the names of that year). Published pages, exports and the API read it,
-- so later changes to units, index sets or raw data never alter a published number. A
-- correction is a new version with its reason and decision; earlier versions stay readable.
CREATE TABLE publications (
    period        TEXT NOT NULL REFERENCES periods (code),
    version       INTEGER NOT NULL CHECK (version >= 1),
    decision      TEXT NOT NULL,
    decided_on    TEXT NOT NULL,
    reason        TEXT,
    decision_file TEXT,
    computed_at   TEXT,
    period_name   TEXT NOT NULL,
    year          INTEGER NOT NULL,
    groups        TEXT NOT NULL CHECK (json_valid(groups)),
    published_by  TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    PRIMARY KEY (period, version),
    CHECK (version = 1 OR reason IS NOT NULL)
);

CREATE TABLE published_results (
    period   TEXT NOT NULL,
    version  INTEGER NOT NULL,
    unit     TEXT NOT NULL,
    position INTEGER NOT NULL,
    result   TEXT NOT NULL CHECK (json_valid(result)),
    PRIMARY KEY (period, version, unit),
    FOREIGN KEY (period, version) REFERENCES publications (period, version)
);
CREATE INDEX published_results_unit ON published_results (unit);

-- Immutable: never updated; deleted only when the demonstration data is reloaded, under the
-- same permit as the audit log (see 0005).
CREATE TRIGGER publications_no_update BEFORE UPDATE ON publications
BEGIN
    SELECT RAISE(ABORT, 'publications are immutable');
END;
CREATE TRIGGER publications_no_delete BEFORE DELETE ON publications
WHEN NOT EXISTS (SELECT 1 FROM audit_log_purge)
BEGIN
    SELECT RAISE(ABORT, 'publications are immutable');
END;
CREATE TRIGGER published_results_no_update BEFORE UPDATE ON published_results
BEGIN
    SELECT RAISE(ABORT, 'published results are immutable');
END;
CREATE TRIGGER published_results_no_delete BEFORE DELETE ON published_results
WHEN NOT EXISTS (SELECT 1 FROM audit_log_purge)
BEGIN
    SELECT RAISE(ABORT, 'published results are immutable');
END;
