-- Surveys (đợt điều tra, domain.md §6): a survey of a period with its definition (respondent
-- groups, questionnaires, options, leaf rules) as one JSON document, the respondents and their
-- answers, the links of the web questionnaire, and the administrator's decisions on units with
-- too few answers. Answers are kept one row per respondent, unit and question so points can be
-- traced back to every answer and a file imported twice adds nothing.
CREATE TABLE surveys (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period      TEXT NOT NULL REFERENCES periods (code),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    definition  JSONB NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    closed_by   TEXT,
    closed_at   TEXT,
    UNIQUE (period, code)
);

-- A respondent (one submitted questionnaire). `respondent` is the submission id of the file
-- (KoboToolbox `_uuid`, ODK `instanceID`, the long file's first column) or the id of a web
-- response. A web response saved but not yet submitted keeps its answers in `draft` and has
-- no `submitted_at`; only submitted answers are in `survey_answers`, so every count and
-- point reads that table alone.
CREATE TABLE survey_respondents (
    survey       BIGINT NOT NULL REFERENCES surveys (id),
    respondent   TEXT NOT NULL,
    grp          TEXT NOT NULL,
    origin       TEXT NOT NULL,
    link         TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    submitted_at TEXT,
    draft        JSONB,
    PRIMARY KEY (survey, respondent)
);

CREATE TABLE survey_answers (
    survey     BIGINT NOT NULL,
    respondent TEXT NOT NULL,
    grp        TEXT NOT NULL,
    unit       TEXT NOT NULL,
    question   TEXT NOT NULL,
    answer     TEXT NOT NULL,
    PRIMARY KEY (survey, respondent, unit, question),
    FOREIGN KEY (survey, respondent) REFERENCES survey_respondents (survey, respondent)
);

-- Links of the web questionnaire: only the SHA-256 of the token is kept, so the table does
-- not hand out working links. `max_uses` 1 for a respondent's own link, more for a group link.
CREATE TABLE survey_links (
    token_hash TEXT PRIMARY KEY,
    survey     BIGINT NOT NULL REFERENCES surveys (id),
    grp        TEXT NOT NULL,
    label      TEXT NOT NULL,
    max_uses   BIGINT NOT NULL CHECK (max_uses >= 1),
    used       BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX survey_links_survey ON survey_links (survey);

-- What the administrator decided for a unit and leaf with fewer valid answers than the
-- minimum: keep the computed points, or set points by hand with a reason.
CREATE TABLE survey_decisions (
    survey     BIGINT NOT NULL REFERENCES surveys (id),
    unit       TEXT NOT NULL,
    leaf       TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('keep', 'manual')),
    points     TEXT,
    reason     TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (survey, unit, leaf),
    CHECK ((decision = 'manual') = (points IS NOT NULL))
);
