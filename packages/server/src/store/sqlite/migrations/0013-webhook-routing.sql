-- A webhook's routing: `ordering` ('fifo': one delivery at a time, in order) and `rate_limit_per_second`. A FIFO
-- webhook's deliveries wait under an endpoint key of their own (core/fanout.ts); this index finds the oldest of them
-- at once, however many wait behind a failing one, and holds nothing for other endpoints.

ALTER TABLE webhooks ADD COLUMN ordering TEXT;
ALTER TABLE webhooks ADD COLUMN rate_limit_per_second INTEGER;
CREATE INDEX delivery_queue_fifo ON delivery_queue (endpoint, delivery_key) WHERE endpoint LIKE 'fifo:%';
