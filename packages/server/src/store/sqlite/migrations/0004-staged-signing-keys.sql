-- A rotation is staged (docs/wire.md: signing keys): the next key is published before it signs. Until now a key signed
-- from its creation, which is what the existing keys keep.

ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER;
UPDATE signing_keys SET activates_at = created_at;
