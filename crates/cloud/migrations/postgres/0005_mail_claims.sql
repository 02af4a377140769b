-- Several cloud nodes share one queue: a worker claims a message for a while (a lease, so that
-- the message of a node that died is sent by another once the lease ran out) under a token it
-- must show to record the outcome. A message that failed too often is given up (a dead letter,
-- its content erased) instead of being retried forever.
ALTER TABLE mail_queue ADD COLUMN claim_token BIGINT;
ALTER TABLE mail_queue ADD COLUMN claimed_until BIGINT;
ALTER TABLE mail_queue ADD COLUMN dead_at BIGINT;
