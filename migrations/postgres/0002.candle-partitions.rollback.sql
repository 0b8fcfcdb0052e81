-- rollback of 0002.candle-partitions: fold every monthly partition back into the default one (no candle is
-- lost), then drop the partition functions.

DO $$
DECLARE
    names text[];
    partition_name text;
BEGIN
    SELECT coalesce(array_agg(child.relname::text ORDER BY child.relname), '{}')
    INTO names
    FROM pg_inherits
    JOIN pg_class AS child ON child.oid = pg_inherits.inhrelid
    WHERE pg_inherits.inhparent = 'candles'::regclass
      AND child.relname ~ '^candles_p[0-9]{6}$';
    FOREACH partition_name IN ARRAY names LOOP
        EXECUTE format('ALTER TABLE candles DETACH PARTITION %I', partition_name);
    END LOOP;
    FOREACH partition_name IN ARRAY names LOOP
        EXECUTE format('INSERT INTO candles SELECT * FROM %I', partition_name);
        EXECUTE format('DROP TABLE %I', partition_name);
    END LOOP;
END;
$$;

DROP FUNCTION IF EXISTS galfriday_drop_candle_partitions(timestamptz);

DROP FUNCTION IF EXISTS galfriday_ensure_candle_partitions(timestamptz, timestamptz);
