-- /metrics counts unfinished work by kind and state at every scrape. Interactions that wait for a function
-- result (`requires_action`) were outside the index that finds those to run, so counting them would read every
-- interaction ever stored.

CREATE INDEX interactions_unfinished ON interactions (status) WHERE status IN ('in_progress', 'requires_action');
