-- One rule for every timestamp the API shows: epoch seconds floored, never rounded (a rounded
-- time can lie half a second in the future). 0011's insert answered POST /balance/topup with
-- rounded created_at and expires_at while GET floored them: the same intent showed two
-- expires_at half the time. Same body as 0011 but the last SELECT.
CREATE OR REPLACE FUNCTION topup_create_insert(p_key_id BIGINT, p_network TEXT, p_requested BIGINT,
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
           floor(extract(epoch FROM i.created_at))::bigint,
           floor(extract(epoch FROM i.expires_at))::bigint,
           NULL::text, NULL::bigint, NULL::bigint, coalesce(i.payment_memo, '')
      FROM topup_intents i WHERE i.id = v_id;
END;
$$ LANGUAGE plpgsql;
