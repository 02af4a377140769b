-- Why each recovery key was made (docs/protocol.md §9): `enrolled`, `bound`, `released`,
-- `transferred` or `account_deleted`. Every change of a device's account rotates its key, so the
-- cause travels to the recorder with the key and the recorder's audit log records the change,
-- even when the recorder was offline at the time. Keys made before this column have none
-- (the recorder is told `unknown`).

ALTER TABLE recovery_keys ADD COLUMN cause TEXT;
