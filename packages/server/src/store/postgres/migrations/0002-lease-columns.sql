-- Leases get their own columns. Tidings 0.1 kept a lease's end in next_attempt_at and a `leased` flag, so a
-- delivery's due time was lost while it was leased. A lease taken before the upgrade belongs to a process
-- that has stopped (every process of the old release stops before the new one migrates): due at once.

ALTER TABLE deliveries ADD COLUMN locked_until BIGINT, ADD COLUMN locked_by TEXT;
UPDATE deliveries SET next_attempt_at = updated_at WHERE state = 'pending' AND leased;
ALTER TABLE deliveries DROP COLUMN leased;
CREATE INDEX deliveries_locked ON deliveries (locked_until) WHERE locked_until IS NOT NULL;
