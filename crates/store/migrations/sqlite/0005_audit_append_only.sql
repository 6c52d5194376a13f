-- The audit log is append-only: 0001 already refuses UPDATE; this refuses DELETE too.
--
-- One thing deletes audit entries legitimately: reloading the demonstration data
-- (`Db::reset`, `Db::reset_including_users`) empties the data together with its history. It
-- does so through `audit::purge`, which, inside its own transaction, puts a row in
-- `audit_log_purge`, deletes, and takes the row away again before committing. Any other
-- DELETE finds the permit table empty and is refused.
CREATE TABLE audit_log_purge (
    id          INTEGER PRIMARY KEY CHECK (id = 1)
);

CREATE TRIGGER audit_log_no_delete
BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_log_purge)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
