-- Presence is owned per node: a connected recorder names the node its connection is on, and
-- every node holds a lease it renews. The recorders of a node whose lease ran out (it died) are
-- shown offline by the others; a node that starts touches only its own.
ALTER TABLE devices ADD COLUMN node_id TEXT;
CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL
);
UPDATE devices SET connected = 0;
