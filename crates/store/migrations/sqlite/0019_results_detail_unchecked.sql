-- A computation rewrites a period's results whole: for a national period, 4.080 rows holding
-- some 40 MB of detail. The `json_valid` check parsed all of it again on every write, a tenth
-- of a national recomputation; `detail` is only ever written by chiso's own serialiser and is
-- read back through it, which refuses anything malformed. The table is rebuilt without the
-- check (nothing refers to it).
CREATE TABLE results_new (
    period      TEXT NOT NULL REFERENCES periods (code),
    unit        TEXT NOT NULL REFERENCES units (code),
    group_name  TEXT NOT NULL,
    position    INTEGER NOT NULL,
    rank        INTEGER,
    group_size  INTEGER NOT NULL,
    total       TEXT NOT NULL,
    max         TEXT NOT NULL,
    idx         TEXT NOT NULL,
    class       TEXT,
    delta_index TEXT,
    delta_rank  INTEGER,
    streak      INTEGER NOT NULL,
    detail      TEXT NOT NULL,
    PRIMARY KEY (period, unit)
);
INSERT INTO results_new (period, unit, group_name, position, rank, group_size, total, max, idx,
                         class, delta_index, delta_rank, streak, detail)
SELECT period, unit, group_name, position, rank, group_size, total, max, idx, class,
       delta_index, delta_rank, streak, detail
FROM results;
DROP TABLE results;
ALTER TABLE results_new RENAME TO results;
CREATE INDEX results_unit ON results (unit);
