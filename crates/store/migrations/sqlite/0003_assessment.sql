-- The assessment cycle (SQLite): who holds which role, the period's milestones, and per unit
-- and period the self-assessment, its appraisal, explanation requests and evidence
-- (domain.md §1–§2). The PostgreSQL file of the same name defines the same tables and columns
-- with the type mapping described in 0001_core.sql.
--
-- `scores` stays the table the computation reads: approving a unit copies each leaf's
-- appraised value (its self-assessed value where it was not appraised) into `scores`, so the
-- computation, imports and published results keep one source of official inputs while both
-- the self and the appraised values stay here.
--
-- Rows carry a version per independently edited part (the state of an assessment, the unit's
-- side and the appraiser's side of a leaf, an explanation request) for optimistic concurrency.
-- Evidence is never deleted: removal sets `removed_at`, so what was shown to the appraisers
-- stays traceable.

-- Roles held by a person (domain.md §1), per period or for every period (`period` NULL).
-- `unit` is the unit of a unit officer or leader; `scope` the units and/or areas of an
-- appraiser. `grant_key` is the whole grant written canonically: one person holds a grant once.
CREATE TABLE role_grants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    login       TEXT NOT NULL REFERENCES users (login),
    role        TEXT NOT NULL,
    unit        TEXT REFERENCES units (code),
    scope       TEXT CHECK (scope IS NULL OR json_valid(scope)),
    period      TEXT REFERENCES periods (code),
    grant_key   TEXT NOT NULL,
    granted_by  TEXT NOT NULL,
    granted_at  TEXT NOT NULL,
    UNIQUE (login, grant_key)
);
CREATE INDEX role_grants_period ON role_grants (period);
CREATE INDEX role_grants_unit ON role_grants (unit);

-- The period's plan: the instant each milestone is reached (absent: not set).
CREATE TABLE period_milestones (
    period      TEXT NOT NULL REFERENCES periods (code),
    milestone   TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (period, milestone)
);

-- Where each unit's assessment stands in the period.
CREATE TABLE assessments (
    period        TEXT NOT NULL REFERENCES periods (code),
    unit          TEXT NOT NULL REFERENCES units (code),
    state         TEXT NOT NULL,
    reopened      BOOLEAN NOT NULL DEFAULT FALSE,
    submitted_by  TEXT,
    submitted_at  TEXT,
    finalised_by  TEXT,
    finalised_at  TEXT,
    version       INTEGER NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (period, unit)
);
CREATE INDEX assessments_unit ON assessments (unit);

-- Per leaf: the unit's self-assessment (input, points, declared data, note, explanation of
-- missing evidence) and the appraiser's value with a comment. Each side has its own version
-- (0 while that side was never saved) so that the unit and an appraiser never overwrite each
-- other.
CREATE TABLE assessment_leaves (
    period            TEXT NOT NULL REFERENCES periods (code),
    unit              TEXT NOT NULL REFERENCES units (code),
    node              TEXT NOT NULL,
    self_input        TEXT CHECK (self_input IS NULL OR json_valid(self_input)),
    self_points       TEXT,
    declared_data     TEXT,
    note              TEXT,
    explanation       TEXT,
    self_by           TEXT,
    self_at           TEXT,
    self_version      INTEGER NOT NULL DEFAULT 0,
    appraised_input   TEXT CHECK (appraised_input IS NULL OR json_valid(appraised_input)),
    appraised_points  TEXT,
    appraisal_comment TEXT,
    appraised_by      TEXT,
    appraised_at      TEXT,
    appraisal_version INTEGER NOT NULL DEFAULT 0,
    updated_by        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (period, unit, node)
);

-- An appraiser's request that the unit explain a leaf, and the unit's answer. One per leaf and
-- period: the cycle has one explanation round.
CREATE TABLE explanation_requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    period        TEXT NOT NULL REFERENCES periods (code),
    unit          TEXT NOT NULL REFERENCES units (code),
    node          TEXT NOT NULL,
    request       TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    requested_at  TEXT NOT NULL,
    answer        TEXT,
    answered_by   TEXT,
    answered_at   TEXT,
    status        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    UNIQUE (period, unit, node)
);

-- Evidence documents (tài liệu kiểm chứng) attached to a leaf. The bytes live in the blob
-- store under `blob_id` (SHA-256, 64 lowercase hex digits); removal is soft.
CREATE TABLE evidence (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    period       TEXT NOT NULL REFERENCES periods (code),
    unit         TEXT NOT NULL REFERENCES units (code),
    node         TEXT NOT NULL,
    blob_id      TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL,
    removed_by   TEXT,
    removed_at   TEXT
);
CREATE INDEX evidence_leaf ON evidence (period, unit, node);
CREATE INDEX evidence_blob ON evidence (blob_id);
