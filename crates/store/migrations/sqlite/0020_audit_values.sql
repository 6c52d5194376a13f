-- The audit of a bulk import, compact: the import's own entry in `audit_log` (entity
-- 'scores', action 'import') says who imported, when and why; each row here holds, for one
-- unit, the values that import changed, each with its old and new value, as a JSON array
-- `[[node, old, new], ...]`. A national file changes half a million values: one audit row per
-- value, with the audit log's indexes, cost more than writing the values themselves. Reading
-- the audit (`audit::list`) shows these values as one entry each, as before.
-- Append-only like `audit_log`, under the same purge permit (migration 0005). `entry` has no
-- foreign key: the log's own refusal of TRUNCATE must be the one that answers.
CREATE TABLE audit_values (
    entry       INTEGER NOT NULL,  -- the id of the import's entry in audit_log
    period      TEXT NOT NULL,
    unit        TEXT NOT NULL,
    changes     TEXT NOT NULL
);
CREATE INDEX audit_values_unit ON audit_values (unit, entry);
CREATE INDEX audit_values_period ON audit_values (period, entry);

CREATE TRIGGER audit_values_append_only
BEFORE UPDATE ON audit_values
BEGIN
    SELECT RAISE(ABORT, 'audit_values is append-only');
END;

CREATE TRIGGER audit_values_no_delete
BEFORE DELETE ON audit_values
WHEN NOT EXISTS (SELECT 1 FROM audit_log_purge)
BEGIN
    SELECT RAISE(ABORT, 'audit_values is append-only');
END;
