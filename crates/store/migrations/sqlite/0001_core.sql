-- Core schema of chiso (SQLite). The PostgreSQL file of the same name defines the same tables
-- with the same columns; only the column types differ:
--   timestamps  TEXT, RFC 3339 in UTC with 9 fractional digits (sorts chronologically as text)
--   dates       TEXT, ISO 8601 (YYYY-MM-DD)
--   points      TEXT, the exact decimal string (never REAL)
--   JSON        TEXT here, JSONB on PostgreSQL
--   booleans    BOOLEAN (0/1 here)
--   integers    INTEGER here, BIGINT on PostgreSQL
--
-- Later features add tables keyed the same way instead of reshaping these: self-assessment and
-- appraisal values and evidence per (period, unit, node); survey answers per (survey,
-- respondent, unit, question); published snapshots per (period, version); monitoring facts per
-- (unit, date). `periods.status` carries the period's workflow state.

-- Units (đơn vị) and their lineage across reorganisations (domain.md §8).
CREATE TABLE units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent      TEXT REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
    valid_from  TEXT,
    valid_to    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX units_parent ON units (parent);

CREATE TABLE lineage (
    predecessor TEXT NOT NULL REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
    successor   TEXT NOT NULL REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
    kind        TEXT NOT NULL,
    effective   TEXT,
    PRIMARY KEY (predecessor, successor)
);
CREATE INDEX lineage_successor ON lineage (successor);

-- Index sets (bộ chỉ số): the whole set as a JSON document (the source of truth) and its
-- nodes flattened for querying.
CREATE TABLE index_sets (
    code        TEXT PRIMARY KEY,
    year        INTEGER NOT NULL,
    name        TEXT NOT NULL,
    decision    TEXT,
    document    TEXT NOT NULL CHECK (json_valid(document)),
    frozen      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE index_nodes (
    set_code    TEXT NOT NULL REFERENCES index_sets (code) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    parent_code TEXT,
    title       TEXT NOT NULL,
    max         TEXT NOT NULL,
    source      TEXT NOT NULL,
    method      TEXT CHECK (method IS NULL OR json_valid(method)),
    position    INTEGER NOT NULL,
    PRIMARY KEY (set_code, code)
);

-- Assessment periods (kỳ đánh giá) and who is assessed with which set.
CREATE TABLE periods (
    code         TEXT PRIMARY KEY,
    year         INTEGER NOT NULL,
    name         TEXT NOT NULL,
    previous     TEXT REFERENCES periods (code),
    status       TEXT NOT NULL,
    decision     TEXT,
    published_at TEXT,
    computed_at  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE period_groups (
    period      TEXT NOT NULL REFERENCES periods (code),
    group_name  TEXT NOT NULL,
    set_code    TEXT NOT NULL REFERENCES index_sets (code),
    position    INTEGER NOT NULL,
    PRIMARY KEY (period, group_name)
);

CREATE TABLE memberships (
    period      TEXT NOT NULL,
    unit        TEXT NOT NULL REFERENCES units (code),
    group_name  TEXT NOT NULL,
    ranked      BOOLEAN NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (period, unit),
    FOREIGN KEY (period, group_name) REFERENCES period_groups (period, group_name)
);

-- The value of each leaf used by the computation, with a version for optimistic concurrency.
CREATE TABLE scores (
    period      TEXT NOT NULL REFERENCES periods (code),
    unit        TEXT NOT NULL REFERENCES units (code),
    node        TEXT NOT NULL,
    input       TEXT CHECK (input IS NULL OR json_valid(input)),
    points      TEXT,
    note        TEXT,
    version     INTEGER NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (period, unit, node)
);

-- The computed snapshot of a period; `detail` (the whole unit result) is the source of truth,
-- the other columns are copies for querying. `idx` is the full-precision index.
CREATE TABLE results (
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
    detail      TEXT NOT NULL CHECK (json_valid(detail)),
    PRIMARY KEY (period, unit)
);
CREATE INDEX results_unit ON results (unit);

CREATE TABLE result_groups (
    period      TEXT NOT NULL REFERENCES periods (code),
    group_name  TEXT NOT NULL,
    position    INTEGER NOT NULL,
    stats       TEXT NOT NULL CHECK (json_valid(stats)),
    PRIMARY KEY (period, group_name)
);

-- People who sign in.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Web sessions, in the database so several application nodes can share them.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    data        BLOB NOT NULL,
    expiry      TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

-- Every change, written in the same transaction as the change itself. Append-only.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_key  TEXT NOT NULL,
    period      TEXT,
    unit        TEXT,
    node        TEXT,
    old_value   TEXT CHECK (old_value IS NULL OR json_valid(old_value)),
    new_value   TEXT CHECK (new_value IS NULL OR json_valid(new_value)),
    reason      TEXT
);
CREATE INDEX audit_log_period_unit_node ON audit_log (period, unit, node);
CREATE INDEX audit_log_unit ON audit_log (unit);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_key);

CREATE TRIGGER audit_log_append_only
BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
