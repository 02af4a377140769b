-- What happened to an account's devices besides temporary passwords, for its activity page: a
-- recorder's admin released it from the account (docs/protocol.md §9, "Release"). The serial
-- and name are kept as they were, since the device no longer belongs to the account.

CREATE TABLE device_events (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    serial TEXT NOT NULL,
    device_name TEXT,
    key_epoch BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX device_events_account ON device_events (account_id, created_at);
