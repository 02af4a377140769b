-- Every temporary password the cloud issued: the account activity page lists them, and a
-- challenge (the recovery QR's nonce) can be answered only once.

CREATE TABLE issued_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device_id BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    seq BIGINT NOT NULL,
    key_epoch BIGINT NOT NULL,
    challenge_nonce TEXT,
    valid_from TEXT,
    valid_to TEXT,
    valid_until BIGINT,
    sent_to TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX issued_codes_challenge ON issued_codes (device_id, challenge_nonce);
CREATE INDEX issued_codes_account ON issued_codes (account_id, created_at);
