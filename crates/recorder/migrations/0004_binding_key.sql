-- The recorder is prepared for password recovery only with the recovery key of its current
-- binding: the key epoch it held when the cloud last said it is not bound (and any key it
-- received while unbound) belongs to no account. The cloud sends a new binding before the key
-- it rotated for it (docs/protocol.md §9).
ALTER TABLE device ADD COLUMN unbound_key_epoch INTEGER NOT NULL DEFAULT 0;
UPDATE device SET unbound_key_epoch = key_epoch WHERE bound = 0;
