-- A JSONL batch's lines go into the store in short transactions of their own while the file is read, so the
-- batch row exists before its input is complete. Until then its state is `creating`, a value that is never on
-- the wire: every read, the runner's claim, the gauges and expiry pass it by. A process that crashed
-- mid-create leaves one behind; the sweeper finds those old enough through this index and deletes them.

CREATE INDEX batches_creating ON batches (created_at) WHERE state = 'creating';
