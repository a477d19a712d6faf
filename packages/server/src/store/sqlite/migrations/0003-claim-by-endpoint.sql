-- A claim looks up each endpoint's due deliveries through this index, so its cost follows the number of
-- endpoints and the rows it takes, not the backlog: a million pending for one endpoint cost what ten do.

CREATE INDEX deliveries_endpoint_due ON deliveries (endpoint_key, next_attempt_at) WHERE state = 'pending';
