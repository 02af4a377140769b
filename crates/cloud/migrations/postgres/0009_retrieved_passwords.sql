-- A temporary password Retrieve showed on the PC portal is kept so that its result page
-- (`/devices/{serial}/retrieved/{id}`) can show it again to its account while it is valid:
-- reloading the page no longer sends the used verification code again. The page's id is
-- random and only its SHA-256 is stored; the password is sealed under a key derived from the
-- master key, bound to this row, its account and its device (src/store/sealed.rs). The sweep
-- erases it when the password's validity ends and deletes the row a day later; removing the
-- device deletes it at once.
CREATE TABLE retrieved_passwords (
    id_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device_id BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    key_pending BIGINT NOT NULL DEFAULT 0,
    sealed BYTEA,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX retrieved_passwords_expiry ON retrieved_passwords (expires_at);
CREATE INDEX retrieved_passwords_device ON retrieved_passwords (device_id, account_id);
