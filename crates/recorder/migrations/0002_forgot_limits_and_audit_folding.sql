-- "Forgot password?" under flood: its request limits, and an audit log that folds repeated
-- identical events and is pruned (docs/protocol.md §8, "Recovery challenges on the recorder").

-- Accepted "Forgot password?" requests per client address ("addr:IP") and for everyone ("all"),
-- in a fixed window that starts with the first request after the previous window ended. Rows
-- of ended windows are deleted, so the table holds at most one row per recent requester.
CREATE TABLE forgot_requests (
    key            TEXT    PRIMARY KEY,
    window_start   INTEGER NOT NULL,
    requests       INTEGER NOT NULL
);

-- An entry stands for `times` identical events (same event, user, client and detail), the first
-- at `at` and the last at `last_at`.
ALTER TABLE audit_log ADD COLUMN times INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;
UPDATE audit_log SET last_at = at;
CREATE INDEX audit_log_by_last_at ON audit_log (last_at);
CREATE INDEX audit_log_by_event ON audit_log (event, at);
