-- Attempt limits, shared with the cloud (rekey_web::limit): an attempt is counted before the
-- password is checked. Keys: "login-user:NAME" and "login-addr:IP" for logins.
CREATE TABLE throttle (
    throttle_key   TEXT    PRIMARY KEY,
    failures       INTEGER NOT NULL,
    window_start   INTEGER NOT NULL,
    locked_until   INTEGER NOT NULL
);

-- Locks in force stay in force.
INSERT INTO throttle (throttle_key, failures, window_start, locked_until)
    SELECT 'login-' || key, failures, first_at, locked_until FROM login_failures;

DROP TABLE login_failures;

-- "Forgot password?" requests are counted in `throttle` too ("forgot-all", "forgot-addr:…").
DROP TABLE forgot_requests;
