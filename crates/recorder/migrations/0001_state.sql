-- The recorder's state. One row of `device`; every change that must be atomic is one transaction.

CREATE TABLE device (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    serial         TEXT    NOT NULL,
    -- Ed25519 seed of the device key (never leaves this file).
    device_seed    BLOB    NOT NULL CHECK (length(device_seed) = 32),
    cloud_enabled  INTEGER NOT NULL DEFAULT 0,
    -- The recovery key delivered by the cloud and its epoch (0 and NULL: none yet).
    recovery_key   BLOB    CHECK (recovery_key IS NULL OR length(recovery_key) = 32),
    key_epoch      INTEGER NOT NULL DEFAULT 0,
    last_used_seq  INTEGER NOT NULL DEFAULT 0,
    -- The binding as last received: a register code while unbound, bound = 1 once an account owns it.
    register_code  TEXT,
    bound          INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    email          TEXT,
    is_admin       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the session cookie's value: a stolen database file holds no usable session.
    token_hash     BLOB    PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);

-- Failed logins per typed user name ("user:NAME") and per client address ("addr:IP").
CREATE TABLE login_failures (
    key            TEXT    PRIMARY KEY,
    failures       INTEGER NOT NULL,
    first_at       INTEGER NOT NULL,
    locked_until   INTEGER NOT NULL DEFAULT 0
);

-- Recovery challenges: the pending one and a few replaced or used ones.
CREATE TABLE challenges (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    nonce          BLOB    NOT NULL CHECK (length(nonce) = 16),
    expires_at     INTEGER NOT NULL,
    email          TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'replaced', 'used')),
    created_at     INTEGER NOT NULL
);

-- The guessing limit of the "Password recovery" screen.
CREATE TABLE recovery_lock (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    failures       INTEGER NOT NULL DEFAULT 0,
    locks          INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO recovery_lock (id) VALUES (1);

CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    event          TEXT    NOT NULL,
    user_name      TEXT,
    client         TEXT,
    detail         TEXT
);
