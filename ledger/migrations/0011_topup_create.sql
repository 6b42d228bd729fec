-- Top-up intent creation in few round trips (issue 13 item 8), ended amount holds deleted by the
-- sweeper, and the cap on intents not paid in full whose amounts are still held.

-- Ended holds (held_until past) are deleted by the sweeper, oldest first, on every network; a
-- released hold (the flag older releases set) has ended too. Until then the matcher
-- (deposit_store.cpp) and the sightings still read them, which is harmless: a match needs a
-- pending intent and a block time in its window.
DROP INDEX amount_holds_expiring;
CREATE INDEX amount_holds_ending ON amount_holds (held_until);
DELETE FROM amount_holds WHERE released;

-- The cap on intents not paid in full per key and network counts these.
CREATE INDEX topup_intents_key_unpaid ON topup_intents (key_id, network, expires_at)
  WHERE status IN ('pending', 'expired', 'credited_short');

-- ClaimStore::Create expires the key's lapsed awaiting_proof claims on every claim.
CREATE INDEX deposit_claims_key_awaiting ON deposit_claims (key_id) WHERE status = 'awaiting_proof';

-- The amounts held on `p_network` from `p_low` to `p_high` whose hold has not ended. It takes
-- no lock: ended holds are ignored here, and topup_create_insert removes those it needs.
CREATE FUNCTION amount_holds_live_in(p_network TEXT, p_low BIGINT, p_high BIGINT)
RETURNS BIGINT[] AS $$
  SELECT coalesce(array_agg(amount), '{}') FROM amount_holds
   WHERE network = p_network AND NOT released AND amount BETWEEN p_low AND p_high
     AND held_until >= now();
$$ LANGUAGE sql STABLE;

-- The first part of topup_create. In the caller's transaction: takes the key's creation lock (held until it commits), then answers
--   'replayed' / 'idempotency_conflict'  the Idempotency-Key named intent topup_id;
--   'pending_cap'    the key has `n` unexpired pending intents on the network (>= p_max_pending);
--   'unpaid_cap'     it has `n` intents there not paid in full (pending, expired unpaid or paid
--                    short) whose amounts are still held (>= p_max_unpaid_held); the first of
--                    those holds ends at `first_end`;
--   'ok'             with the live held amounts from p_low to p_high (`held_amounts`).
-- It expires nothing: the top-up sweeper does, every second, with the topup.expired events.
-- Intents are looked at back to p_held_seconds (the grace and cooldown of today's config) past
-- their expiry: an older one's holds have ended, unless the config had a longer cooldown then.
CREATE FUNCTION topup_create_begin(p_key_id BIGINT, p_network TEXT, p_idempotency_key TEXT,
                                   p_request_hash TEXT, p_max_pending INTEGER,
                                   p_max_unpaid_held INTEGER, p_held_seconds INTEGER,
                                   p_low BIGINT, p_high BIGINT)
RETURNS TABLE (outcome TEXT, topup_id TEXT, n INTEGER, first_end BIGINT,
               held_amounts BIGINT[]) AS $$
DECLARE
  v_id       UUID;
  v_hash     TEXT;
  v_count    INTEGER;
  v_until    TIMESTAMPTZ;
BEGIN
  -- One creation at a time per key: the caps and the Idempotency-Key hold under concurrent
  -- requests of one client, and other clients never wait on it.
  PERFORM pg_advisory_xact_lock(hashtext('topup_intents'), (p_key_id % 2147483647)::int);
  IF p_idempotency_key IS NOT NULL THEN
    SELECT t.id, t.request_hash INTO v_id, v_hash FROM topup_intents t
     WHERE t.key_id = p_key_id AND t.idempotency_key = p_idempotency_key;
    IF FOUND THEN
      RETURN QUERY SELECT CASE WHEN v_hash = p_request_hash THEN 'replayed'
                               ELSE 'idempotency_conflict' END,
                          v_id::text, NULL::INTEGER, NULL::BIGINT, NULL::BIGINT[];
      RETURN;
    END IF;
  END IF;

  SELECT count(*) INTO v_count FROM topup_intents t
   WHERE t.key_id = p_key_id AND t.network = p_network AND t.status = 'pending'
     AND t.expires_at > now();
  IF v_count >= p_max_pending THEN
    RETURN QUERY SELECT 'pending_cap', NULL::TEXT, v_count, NULL::BIGINT, NULL::BIGINT[];
    RETURN;
  END IF;

  -- Squatting by cycling: intents not paid in full keep their amounts held through the
  -- cooldown, whether pending, expired unpaid, or paid short (a memo payment of 0.01).
  SELECT count(*), min(h.ends) INTO v_count, v_until
    FROM topup_intents t
    CROSS JOIN LATERAL (SELECT max(a.held_until) AS ends FROM amount_holds a
                         WHERE a.intent_id = t.id AND NOT a.released) h
   WHERE t.key_id = p_key_id AND t.network = p_network
     AND t.status IN ('pending', 'expired', 'credited_short')
     AND t.expires_at > now() - make_interval(secs => p_held_seconds)
     AND h.ends >= now();
  IF v_count >= p_max_unpaid_held THEN
    RETURN QUERY SELECT 'unpaid_cap', NULL::TEXT, v_count,
                        floor(extract(epoch FROM v_until))::bigint, NULL::BIGINT[];
    RETURN;
  END IF;

  RETURN QUERY SELECT 'ok', NULL::TEXT, NULL::INTEGER, NULL::BIGINT,
                      amount_holds_live_in(p_network, p_low, p_high);
END;
$$ LANGUAGE plpgsql;

-- The second part of topup_create: the intent and its holds (its amount less each of `p_fees`, 0 first), or no
-- row when a concurrent request holds one of those values. The EXCEPTION block is a
-- subtransaction: nothing of a given-up attempt is left, not even a lock (rows deleted to undo
-- it would stay locked until commit, and two creates could wait for each other's).
CREATE FUNCTION topup_create_insert(p_key_id BIGINT, p_network TEXT, p_requested BIGINT,
                                    p_amount BIGINT, p_expiry_seconds INTEGER, p_memo TEXT,
                                    p_webhook_url TEXT, p_idempotency_key TEXT,
                                    p_request_hash TEXT, p_hold_seconds INTEGER,
                                    p_fees BIGINT[])
RETURNS TABLE (id TEXT, key_id BIGINT, network TEXT, requested_amount BIGINT, amount BIGINT,
               status TEXT, created_at BIGINT, expires_at BIGINT, tx_id TEXT,
               deposit_amount BIGINT, credited_at BIGINT, payment_memo TEXT) AS $$
DECLARE
  v_id UUID;
BEGIN
  BEGIN
    -- Ended holds of exactly these values give way; the sweeper deletes the others.
    DELETE FROM amount_holds a
     WHERE a.network = p_network AND NOT a.released AND a.held_until < now()
       AND a.amount IN (SELECT p_amount - f FROM unnest(p_fees) f);
    INSERT INTO topup_intents AS t (key_id, network, requested_amount, amount, expires_at,
                                    payment_memo, webhook_url, idempotency_key, request_hash)
    VALUES (p_key_id, p_network, p_requested, p_amount,
            now() + make_interval(secs => p_expiry_seconds), p_memo, p_webhook_url,
            p_idempotency_key, p_request_hash)
    RETURNING t.id INTO v_id;
    INSERT INTO amount_holds (network, amount, intent_id, fee, held_until)
    SELECT p_network, p_amount - f, v_id, f, now() + make_interval(secs => p_hold_seconds)
      FROM unnest(p_fees) f;
  EXCEPTION WHEN unique_violation THEN
    RETURN;  -- rolled back to the block's start: no intent, no holds
  END;
  RETURN QUERY
    SELECT i.id::text, i.key_id, i.network, i.requested_amount, i.amount, i.status,
           extract(epoch FROM i.created_at)::bigint, extract(epoch FROM i.expires_at)::bigint,
           NULL::text, NULL::bigint, NULL::bigint, coalesce(i.payment_memo, '')
      FROM topup_intents i WHERE i.id = v_id;
END;
$$ LANGUAGE plpgsql;

-- TopupStore::Create (ledger/topup_store.cpp) in one statement, so one round trip in
-- autocommit. `p_candidates`: the amounts of the band that the rules allow (no round amount, no
-- round value less a fee), in the random order the C++ CSPRNG drew; the first whose every value
-- is free is taken, at most p_max_attempts of them tried. Answers topup_create_begin's outcomes,
-- 'created' with the intent's columns first (kSelectIntent's order), or 'exhausted'.
CREATE FUNCTION topup_create(p_key_id BIGINT, p_network TEXT, p_idempotency_key TEXT,
                             p_request_hash TEXT, p_max_pending INTEGER,
                             p_max_unpaid_held INTEGER, p_held_seconds INTEGER,
                             p_candidates BIGINT[], p_fees BIGINT[], p_max_attempts INTEGER,
                             p_requested BIGINT, p_expiry_seconds INTEGER, p_memo TEXT,
                             p_webhook_url TEXT, p_hold_seconds INTEGER)
RETURNS TABLE (o_id TEXT, o_key_id BIGINT, o_network TEXT, o_requested_amount BIGINT,
               o_amount BIGINT, o_status TEXT, o_created_at BIGINT, o_expires_at BIGINT,
               o_tx_id TEXT, o_deposit_amount BIGINT, o_credited_at BIGINT, o_payment_memo TEXT,
               o_outcome TEXT, o_n INTEGER, o_first_end BIGINT, o_topup_id TEXT) AS $$
DECLARE
  v_begun   RECORD;
  v_made    RECORD;
  v_amount  BIGINT;
  v_values  BIGINT[];
  v_tries   INTEGER := 0;
  v_max_fee BIGINT := coalesce((SELECT max(f) FROM unnest(p_fees) f), 0);
BEGIN
  SELECT * INTO v_begun
    FROM topup_create_begin(p_key_id, p_network, p_idempotency_key, p_request_hash,
                            p_max_pending, p_max_unpaid_held, p_held_seconds,
                            coalesce((SELECT min(c) FROM unnest(p_candidates) c), 0) - v_max_fee,
                            coalesce((SELECT max(c) FROM unnest(p_candidates) c), 0));
  IF v_begun.outcome <> 'ok' THEN
    RETURN QUERY SELECT NULL::TEXT, NULL::BIGINT, NULL::TEXT, NULL::BIGINT, NULL::BIGINT,
                        NULL::TEXT, NULL::BIGINT, NULL::BIGINT, NULL::TEXT, NULL::BIGINT,
                        NULL::BIGINT, NULL::TEXT, v_begun.outcome, v_begun.n,
                        v_begun.first_end, v_begun.topup_id;
    RETURN;
  END IF;
  FOREACH v_amount IN ARRAY coalesce(p_candidates, '{}') LOOP
    -- The held values: the amount, and the amount less each fee below it, by ascending fee so
    -- that two creates whose values overlap take them in one order (in the configured order,
    -- each could hold a value the other waits for: a deadlock).
    v_values := ARRAY(SELECT DISTINCT f FROM unnest('{0}'::BIGINT[] || coalesce(p_fees, '{}')) f
                       WHERE f = 0 OR (f > 0 AND f < v_amount) ORDER BY f);
    CONTINUE WHEN EXISTS (SELECT 1 FROM unnest(v_values) f
                           WHERE v_amount - f = ANY (v_begun.held_amounts));
    v_tries := v_tries + 1;
    EXIT WHEN v_tries > p_max_attempts;
    FOR v_made IN SELECT * FROM topup_create_insert(p_key_id, p_network, p_requested, v_amount,
                                                   p_expiry_seconds, p_memo, p_webhook_url,
                                                   p_idempotency_key, p_request_hash,
                                                   p_hold_seconds, v_values) LOOP
      RETURN QUERY SELECT v_made.id, v_made.key_id, v_made.network, v_made.requested_amount,
                          v_made.amount, v_made.status, v_made.created_at, v_made.expires_at,
                          v_made.tx_id, v_made.deposit_amount, v_made.credited_at,
                          v_made.payment_memo, 'created'::TEXT, NULL::INTEGER, NULL::BIGINT,
                          NULL::TEXT;
      RETURN;
    END LOOP;
  END LOOP;
  RETURN QUERY SELECT NULL::TEXT, NULL::BIGINT, NULL::TEXT, NULL::BIGINT, NULL::BIGINT,
                      NULL::TEXT, NULL::BIGINT, NULL::BIGINT, NULL::TEXT, NULL::BIGINT,
                      NULL::BIGINT, NULL::TEXT, 'exhausted'::TEXT, NULL::INTEGER, NULL::BIGINT,
                      NULL::TEXT;
END;
$$ LANGUAGE plpgsql;
