-- 0002.candle-partitions (postgres): monthly candle partitions, made on demand and reclaimed after retention.
-- depends: 0001.initial

-- Create the monthly partitions candles_pYYYYMM (UTC months) from the month of from_time through the month of
-- to_time, inclusive; return the names of those it created. Rows already in the default partition for a new
-- month move into it. Safe under concurrency: creators serialise on an advisory lock, and a partition made by
-- someone else in the meantime is skipped. The store adapter calls this before it copies candles in.
CREATE FUNCTION galfriday_ensure_candle_partitions(from_time timestamptz, to_time timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql
AS $$
DECLARE
    month_start timestamp;
    last_month timestamp;
    lower_bound timestamptz;
    upper_bound timestamptz;
    partition_name text;
BEGIN
    IF from_time IS NULL OR to_time IS NULL OR to_time < from_time THEN
        RAISE EXCEPTION 'galfriday_ensure_candle_partitions needs from_time <= to_time, got % and %',
            from_time, to_time;
    END IF;
    month_start := date_trunc('month', from_time AT TIME ZONE 'UTC');
    last_month := date_trunc('month', to_time AT TIME ZONE 'UTC');
    WHILE month_start <= last_month LOOP
        partition_name := 'candles_p' || to_char(month_start, 'YYYYMM');
        IF to_regclass(partition_name) IS NULL THEN
            PERFORM pg_advisory_xact_lock(hashtext('galfriday_candle_partitions'));
            lower_bound := month_start AT TIME ZONE 'UTC';
            upper_bound := (month_start + interval '1 month') AT TIME ZONE 'UTC';
            BEGIN
                IF to_regclass(partition_name) IS NULL THEN
                    IF EXISTS (
                        SELECT 1 FROM candles_default
                        WHERE open_time >= lower_bound AND open_time < upper_bound
                    ) THEN
                        EXECUTE format(
                            'CREATE TABLE %I (LIKE candles INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                            partition_name
                        );
                        EXECUTE format(
                            'WITH moved AS (DELETE FROM candles_default WHERE open_time >= $1 AND open_time < $2 '
                            'RETURNING *) INSERT INTO %I SELECT * FROM moved',
                            partition_name
                        ) USING lower_bound, upper_bound;
                        EXECUTE format(
                            'ALTER TABLE candles ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                            partition_name, lower_bound, upper_bound
                        );
                    ELSE
                        EXECUTE format(
                            'CREATE TABLE %I PARTITION OF candles FOR VALUES FROM (%L) TO (%L)',
                            partition_name, lower_bound, upper_bound
                        );
                    END IF;
                    RETURN NEXT partition_name;
                END IF;
            EXCEPTION WHEN duplicate_table OR unique_violation THEN
                -- another transaction created it between our check and our CREATE: it exists, which is all we need
                NULL;
            END;
        END IF;
        month_start := month_start + interval '1 month';
    END LOOP;
END;
$$;

-- Detach and drop the monthly candle partitions whose month ends at or before before_time and that hold no
-- rows any more (retention archives and deletes them first; a partition still holding candles of an interval
-- kept longer stays). Return the names of those dropped.
CREATE FUNCTION galfriday_drop_candle_partitions(before_time timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql
AS $$
DECLARE
    partition_name text;
    upper_bound timestamptz;
    has_rows boolean;
BEGIN
    FOR partition_name IN
        SELECT child.relname::text
        FROM pg_inherits
        JOIN pg_class AS child ON child.oid = pg_inherits.inhrelid
        WHERE pg_inherits.inhparent = 'candles'::regclass
          AND child.relname ~ '^candles_p[0-9]{6}$'
        ORDER BY child.relname
    LOOP
        upper_bound := (to_date(substr(partition_name, 10), 'YYYYMM') + interval '1 month')::timestamp
            AT TIME ZONE 'UTC';
        CONTINUE WHEN upper_bound > before_time;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', partition_name) INTO has_rows;
        CONTINUE WHEN has_rows;
        EXECUTE format('ALTER TABLE candles DETACH PARTITION %I', partition_name);
        EXECUTE format('DROP TABLE %I', partition_name);
        RETURN NEXT partition_name;
    END LOOP;
END;
$$;

-- Partitions for a window around now; later months are made on demand.
DO $$
BEGIN
    PERFORM galfriday_ensure_candle_partitions(now() - interval '3 months', now() + interval '3 months');
END;
$$;
