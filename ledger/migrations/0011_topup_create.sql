-- Top-up intent creation in few round trips (issue 13 item 8), ended amount holds deleted by the
-- sweeper, and the cap on expired unpaid intents whose amounts are still held.

-- Ended holds (held_until past) are deleted by the sweeper, oldest first, on every network; a
-- released hold (the flag older releases set) has ended too. Nothing reads an ended hold.
DROP INDEX amount_holds_expiring;
CREATE INDEX amount_holds_ending ON amount_holds (held_until);
DELETE FROM amount_holds WHERE released;

-- The cap on expired unpaid intents per key and network counts these (status 'pending' past
-- expires_at: in the grace, not yet marked expired).
CREATE INDEX topup_intents_key_unpaid ON topup_intents (key_id, network, expires_at)
  WHERE status IN ('pending', 'expired');

-- ClaimStore::Create expires the key's lapsed awaiting_proof claims on every claim.
CREATE INDEX deposit_claims_key_awaiting ON deposit_claims (key_id) WHERE status = 'awaiting_proof';

-- The amounts held on `p_network` from `p_low` to `p_high` whose hold has not ended. Ended holds
-- of that range are deleted first (those another transaction holds are skipped, and ignored),
-- so their amounts can be given again before the sweeper gets to them.
CREATE FUNCTION amount_holds_live_in(p_network TEXT, p_low BIGINT, p_high BIGINT)
RETURNS BIGINT[] AS $$
DECLARE
  v_held BIGINT[];
BEGIN
  DELETE FROM amount_holds
   WHERE ctid = ANY (ARRAY(SELECT ctid FROM amount_holds
                            WHERE network = p_network AND NOT released
                              AND amount BETWEEN p_low AND p_high AND held_until < now()
                              FOR UPDATE SKIP LOCKED));
  SELECT coalesce(array_agg(amount), '{}') INTO v_held FROM amount_holds
   WHERE network = p_network AND NOT released AND amount BETWEEN p_low AND p_high
     AND held_until >= now();
  RETURN v_held;
END;
$$ LANGUAGE plpgsql;

-- The first part of TopupStore::Create (ledger/topup_store.cpp), in one round trip. In the
-- caller's transaction: takes the key's creation lock (held until it commits), then answers
--   'replayed' / 'idempotency_conflict'  the Idempotency-Key named intent topup_id;
--   'pending_cap'    the key has `n` unexpired pending intents on the network (>= p_max_pending);
--   'unpaid_cap'     it has `n` intents there that expired unpaid and whose amounts are still
--                    held (>= p_max_unpaid_held); the first of those holds ends at `first_end`;
--   'ok'             with the live held amounts from p_low to p_high (`held_amounts`).
-- `expired_ids`: the intents the expiry pass marked expired, for their topup.expired events.
-- Intents are looked at back to p_held_seconds (the grace and cooldown of today's config) past
-- their expiry: an older one's holds have ended, unless the config had a longer cooldown then.
CREATE FUNCTION topup_create_begin(p_key_id BIGINT, p_network TEXT, p_idempotency_key TEXT,
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
                   ORDER BY t.expires_at FOR UPDATE SKIP LOCKED)
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

  -- Squatting by cycling: intents left to expire keep their amounts held through the cooldown.
  SELECT count(*), min(h.ends) INTO v_count, v_until
    FROM topup_intents t
    CROSS JOIN LATERAL (SELECT max(a.held_until) AS ends FROM amount_holds a
                         WHERE a.intent_id = t.id AND NOT a.released) h
   WHERE t.key_id = p_key_id AND t.network = p_network AND t.status IN ('pending', 'expired')
     AND t.expires_at <= now()
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
