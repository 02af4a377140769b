-- Release from the recorder (docs/protocol.md §9, "Release"): the admin released the recorder
-- from its cloud account. The release is recorded here first and sent to the cloud on the
-- next connection (at once when online): `release_epoch` is the key epoch of the binding being
-- released until the cloud answers `released` for it, 0 when no release is pending.
ALTER TABLE device ADD COLUMN release_epoch INTEGER NOT NULL DEFAULT 0;
