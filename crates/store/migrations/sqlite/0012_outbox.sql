-- The outbox: events of the assessment cycle worth an e-mail, written in the same transaction
-- as the change that caused them, and one delivery per recipient, which a background worker
-- claims, sends and marks. A crash between the change and the e-mail loses nothing: the
-- delivery waits here until a worker sends it.
CREATE TABLE outbox_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    period     TEXT NOT NULL,
    unit       TEXT,
    node       TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- status: pending (to send at due_at, unless a worker holds it until lease_until), sent, dead
-- (given up after the last try; an operator may try again) or expired (too old to be useful).
CREATE TABLE outbox_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    INTEGER NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    login       TEXT NOT NULL,
    address     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'dead', 'expired')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    due_at      TEXT NOT NULL,
    lease_until TEXT,
    last_error  TEXT,
    sent_at     TEXT
);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries (status, due_at);
CREATE INDEX outbox_deliveries_event ON outbox_deliveries (event_id);
