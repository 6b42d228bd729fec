-- The API rate limit shared by every daemon on this database (issue 12, item 15): per key, the
-- admissions of the current sliding window, grouped by second of the database's clock.
-- UNLOGGED: it changes on every admission and is worth nothing after a crash (windows start
-- empty again), so it writes no WAL and its commits wait for no disk flush.
CREATE UNLOGGED TABLE rate_windows (
  key_id    BIGINT PRIMARY KEY,
  -- one entry per second that admitted something: the latest admission time in that second
  -- (ms since the epoch) and how many were admitted in it
  bucket_ms BIGINT[]  NOT NULL,
  bucket_n  INTEGER[] NOT NULL
);

-- Admits up to p_wanted requests of key p_key so that at most p_limit are counted in any
-- p_window_ms window, in one locked step per key (concurrent callers queue on the row). An
-- admission counts from p_hold_ms after now (a daemon may still use a leased slot until then)
-- and from its second's latest admission, so a slot frees late (by under a second plus the
-- hold), never early. Returns how many were granted, the free slots left, and the ms until the
-- oldest counted admission leaves the window (the window's length when none is counted).
CREATE FUNCTION rate_admit(p_key BIGINT, p_wanted INTEGER, p_limit INTEGER,
                           p_window_ms INTEGER, p_hold_ms INTEGER,
                           OUT granted INTEGER, OUT remaining INTEGER, OUT reset_ms BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
  now_ms  BIGINT := floor(extract(epoch FROM clock_timestamp()) * 1000);
  at_ms   BIGINT := now_ms + p_hold_ms;
  old_ms  BIGINT[];
  old_n   INTEGER[];
  keep_ms BIGINT[] := '{}';
  keep_n  INTEGER[] := '{}';
  used    INTEGER := 0;
  last    INTEGER;
BEGIN
  SELECT bucket_ms, bucket_n INTO old_ms, old_n FROM rate_windows WHERE key_id = p_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO rate_windows VALUES (p_key, '{}', '{}') ON CONFLICT (key_id) DO NOTHING;
    SELECT bucket_ms, bucket_n INTO old_ms, old_n FROM rate_windows WHERE key_id = p_key
       FOR UPDATE;
  END IF;
  FOR i IN 1 .. coalesce(array_length(old_ms, 1), 0) LOOP
    IF old_ms[i] > now_ms - p_window_ms THEN
      keep_ms := keep_ms || old_ms[i];
      keep_n := keep_n || old_n[i];
      used := used + old_n[i];
    END IF;
  END LOOP;
  granted := greatest(0, least(p_wanted, p_limit - used));
  IF granted > 0 THEN
    last := coalesce(array_length(keep_ms, 1), 0);
    IF last > 0 AND keep_ms[last] / 1000 = at_ms / 1000 THEN
      keep_ms[last] := greatest(keep_ms[last], at_ms);
      keep_n[last] := keep_n[last] + granted;
    ELSE
      keep_ms := keep_ms || at_ms;
      keep_n := keep_n || granted;
    END IF;
  END IF;
  -- A refusal that expired nothing leaves the row alone: floods of one key write nothing.
  IF granted > 0 OR coalesce(array_length(keep_ms, 1), 0)
                    <> coalesce(array_length(old_ms, 1), 0) THEN
    UPDATE rate_windows SET bucket_ms = keep_ms, bucket_n = keep_n WHERE key_id = p_key;
  END IF;
  remaining := p_limit - used - granted;
  reset_ms := coalesce((SELECT min(m) FROM unnest(keep_ms) AS m) + p_window_ms - now_ms,
                       p_window_ms);
END $$;
