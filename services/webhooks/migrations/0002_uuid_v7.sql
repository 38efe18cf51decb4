-- Up Migration

-- UUIDv7 (time-ordered) generated in SQL, so Publish can create an event's delivery rows for the
-- matching endpoints in the same single statement that inserts the event (one round trip) while
-- delivery ids keep sorting by creation like every other id of DataHub. PostgreSQL 18 has
-- uuidv7(); this is the usual SQL equivalent for 14–17: 48-bit ms timestamp over a v4 UUID, with
-- the version bits set to 7.
CREATE FUNCTION webhooks.uuid_v7() RETURNS uuid AS $$
  SELECT encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
        52, 1),
      53, 1),
    'hex')::uuid;
$$ LANGUAGE sql VOLATILE;

-- Down Migration

DROP FUNCTION webhooks.uuid_v7();
