-- Review fixes to migration 0011 (top-up creation):
--  * An attempt whose amount a concurrent request took is undone by a subtransaction (the
--    EXCEPTION block of topup_create_insert), not by deleting its rows: deleted rows stay locked
--    until commit, so two creates could wait for each other's given-up amounts (a deadlock).
--  * Reading the band takes no lock: amount_holds_live_in no longer deletes ended holds (their
--    locks made other creates wait); the insert removes only the ended holds of exactly the
--    values it takes.
--  * The cap on unpaid held intents counts every intent not paid in full whose amounts are
--    still held: pending ones too (so a key holds at most the cap, not the cap plus its pending
--    intents), and credited_short ones (a memo payment of 0.01 credits an intent short and
--    would otherwise free a place in the cap while its amounts stay held for the cooldown).
--  * The expiry pass in a create does at most 100 intents (the sweeper does the rest).
-- Ended holds are still read by the matcher (deposit_store.cpp) and the sightings until the
-- sweeper deletes them, which is harmless: a match needs a pending intent and its window.

DROP INDEX topup_intents_key_unpaid;
CREATE INDEX topup_intents_key_unpaid ON topup_intents (key_id, network, expires_at)
  WHERE status IN ('pending', 'expired', 'credited_short');

CREATE OR REPLACE FUNCTION amount_holds_live_in(p_network TEXT, p_low BIGINT, p_high BIGINT)
RETURNS BIGINT[] AS $$
  SELECT coalesce(array_agg(amount), '{}') FROM amount_holds
   WHERE network = p_network AND NOT released AND amount BETWEEN p_low AND p_high
     AND held_until >= now();
$$ LANGUAGE sql STABLE;

-- The intent and its holds (its amount less each of `p_fees`, 0 first), or no row when a
-- concurrent request holds one of those values: then nothing of this attempt is left.
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

-- As in 0011, but for the expiry pass's limit and the cap's count (see the top).
CREATE OR REPLACE FUNCTION topup_create_begin(p_key_id BIGINT, p_network TEXT, p_idempotency_key TEXT,
                                   p_request_hash TEXT, p_grace_seconds INTEGER,
                                   p_max_pending INTEGER, p_max_unpaid_held INTEGER,
                                   p_held_seconds INTEGER, p_low BIGINT, p_high BIGINT)
RETURNS TABLE (outcome TEXT, topup_id TEXT, n INTEGER, first_end BIGINT, expired_ids TEXT[],
               held_amounts BIGINT[]) AS $$
DECLARE
  v_id       UUID;
  v_hash     TEXT;
  v_expired  TEXT[];
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
                          v_id::text, NULL::INTEGER, NULL::BIGINT, NULL::TEXT[], NULL::BIGINT[];
      RETURN;
    END IF;
  END IF;

  -- Intents past their expiry and grace are expired (the sweeper does it too, every second).
  WITH e AS (
    UPDATE topup_intents SET status = 'expired'
     WHERE id IN (SELECT t.id FROM topup_intents t
                   WHERE t.status = 'pending' AND t.network = p_network
                     AND t.expires_at < now() - make_interval(secs => p_grace_seconds)
                   ORDER BY t.expires_at LIMIT 100 FOR UPDATE SKIP LOCKED)
    RETURNING id, expires_at)
  SELECT coalesce(array_agg(e.id::text ORDER BY e.expires_at), '{}') INTO v_expired FROM e;

  SELECT count(*) INTO v_count FROM topup_intents t
   WHERE t.key_id = p_key_id AND t.network = p_network AND t.status = 'pending'
     AND t.expires_at > now();
  IF v_count >= p_max_pending THEN
    RETURN QUERY SELECT 'pending_cap', NULL::TEXT, v_count, NULL::BIGINT, v_expired,
                        NULL::BIGINT[];
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
                        floor(extract(epoch FROM v_until))::bigint, v_expired, NULL::BIGINT[];
    RETURN;
  END IF;

  RETURN QUERY SELECT 'ok', NULL::TEXT, NULL::INTEGER, NULL::BIGINT, v_expired,
                      amount_holds_live_in(p_network, p_low, p_high);
END;
$$ LANGUAGE plpgsql;
