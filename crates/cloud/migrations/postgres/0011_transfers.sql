-- Transfers between accounts and installer hand-overs (docs/protocol.md §9, "Transfer"): the
-- owning account offers one or more of its devices to an e-mail address; the account with that
-- address accepts all or some of them before `expires_at`. Until then nothing else changes.
-- `id` is random (128 bits) and names the transfer in pages and the API; it grants nothing by
-- itself (only the recipient's account can accept, only the sender's can cancel).

CREATE TABLE transfers (
    id TEXT PRIMARY KEY,
    from_account BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    to_email TEXT NOT NULL,
    to_email_key TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX transfers_to ON transfers (to_email_key, state);
CREATE INDEX transfers_from ON transfers (from_account, state);

-- The devices a transfer offers, each with the epoch of the binding it was offered under (a
-- device removed, released or bound again since is no longer part of the offer) and, once the
-- transfer is closed, what became of it.
CREATE TABLE transfer_devices (
    transfer_id TEXT NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
    device_id BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    key_epoch BIGINT NOT NULL,
    outcome TEXT,
    PRIMARY KEY (transfer_id, device_id)
);
CREATE INDEX transfer_devices_device ON transfer_devices (device_id);
