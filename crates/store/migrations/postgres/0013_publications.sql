-- Publication by decision: each version of a period's published results is an immutable
-- snapshot of everything shown (unit results with per-leaf points, group statistics, the index
-- set of each group, the names of that year). Published pages, exports and the API read it,
-- so later changes to units, index sets or raw data never alter a published number. A
-- correction is a new version with its reason and decision; earlier versions stay readable.
CREATE TABLE publications (
    period        TEXT NOT NULL REFERENCES periods (code),
    version       BIGINT NOT NULL CHECK (version >= 1),
    decision      TEXT NOT NULL,
    decided_on    TEXT NOT NULL,
    reason        TEXT,
    decision_file TEXT,
    computed_at   TEXT,
    period_name   TEXT NOT NULL,
    year          BIGINT NOT NULL,
    groups        JSONB NOT NULL,
    published_by  TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    PRIMARY KEY (period, version),
    CHECK (version = 1 OR reason IS NOT NULL)
);

CREATE TABLE published_results (
    period   TEXT NOT NULL,
    version  BIGINT NOT NULL,
    unit     TEXT NOT NULL,
    position BIGINT NOT NULL,
    result   JSONB NOT NULL,
    PRIMARY KEY (period, version, unit),
    FOREIGN KEY (period, version) REFERENCES publications (period, version)
);
CREATE INDEX published_results_unit ON published_results (unit);

-- Immutable: never updated; deleted only when the demonstration data is reloaded, under the
-- same permit as the audit log (see 0005).
CREATE FUNCTION publications_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_log_purge) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is immutable', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER publications_immutable
BEFORE UPDATE OR DELETE OR TRUNCATE ON publications
FOR EACH STATEMENT EXECUTE FUNCTION publications_immutable();
CREATE TRIGGER published_results_immutable
BEFORE UPDATE OR DELETE OR TRUNCATE ON published_results
FOR EACH STATEMENT EXECUTE FUNCTION publications_immutable();
