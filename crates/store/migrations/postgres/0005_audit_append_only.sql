-- The audit log is append-only: 0001 already refuses UPDATE; this refuses DELETE and TRUNCATE.
--
-- One thing deletes audit entries legitimately: reloading the demonstration data
-- (`Db::reset`, `Db::reset_including_users`) empties the data together with its history. It
-- does so through `audit::purge`, which, inside its own transaction, puts a row in
-- `audit_log_purge`, deletes, and takes the row away again before committing (other
-- transactions never see the row). Any other DELETE finds the permit table empty and is
-- refused.
CREATE TABLE audit_log_purge (
    id          INTEGER PRIMARY KEY CHECK (id = 1)
);

CREATE FUNCTION audit_log_no_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_log_purge) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_delete
BEFORE DELETE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_delete();

CREATE TRIGGER audit_log_no_truncate
BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
