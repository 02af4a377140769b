-- Accounts, e-mail codes, sessions, throttling, devices, recovery keys and the mail queue.
-- Times are Unix seconds; flags are 0/1 integers (the same SQL runs on PostgreSQL).

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    region TEXT NOT NULL,
    lang TEXT NOT NULL,
    agreement_version TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE email_codes (
    id BIGSERIAL PRIMARY KEY,
    purpose TEXT NOT NULL,
    email_key TEXT NOT NULL,
    account_id BIGINT REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    payload TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT
);
CREATE INDEX email_codes_lookup ON email_codes (purpose, email_key, created_at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE throttle (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

CREATE TABLE devices (
    id BIGSERIAL PRIMARY KEY,
    serial TEXT NOT NULL UNIQUE,
    device_key TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    connected BIGINT NOT NULL DEFAULT 0,
    last_seen_at BIGINT NOT NULL,
    drift_secs BIGINT NOT NULL DEFAULT 0,
    register_code_hash TEXT UNIQUE,
    account_id BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    name TEXT,
    bound_at BIGINT,
    next_seq BIGINT NOT NULL DEFAULT 1,
    last_used_seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX devices_account ON devices (account_id);

CREATE TABLE recovery_keys (
    device_id BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    epoch BIGINT NOT NULL,
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    PRIMARY KEY (device_id, epoch)
);

CREATE TABLE mail_queue (
    id BIGSERIAL PRIMARY KEY,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX mail_queue_due ON mail_queue (sent_at, next_attempt_at);
