-- A claim names the node that holds it: when that node's lease runs out (it died), its claims
-- are released with its recorders, and another node sends the mail at once instead of after
-- the claim's own lease.
ALTER TABLE mail_queue ADD COLUMN claimed_by TEXT;
