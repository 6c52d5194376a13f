-- Installation-wide settings (key → value), e.g. whether the data is the demo province.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
