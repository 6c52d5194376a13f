-- A computation rewrites a period's results whole (a national period: 4.080 rows, some 40 MB
-- of detail) and a publication copies them. Compressing each row's detail with lz4 instead of
-- the default pglz takes a third off writing them; servers built without lz4 keep pglz. Rows
-- already stored keep their compression until rewritten.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE results ALTER COLUMN detail SET COMPRESSION lz4;
        ALTER TABLE published_results ALTER COLUMN result SET COMPRESSION lz4;
    END IF;
END
$$;
