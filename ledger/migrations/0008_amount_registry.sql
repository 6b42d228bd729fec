-- Deposits credited to the right client only (issue 13): one registry of the amounts spoken
-- for on each network's wallet, memos, fee-aware matching, the website's reservations.

-- Amounts the website's checkout (or anyone besides an API intent) reserves on a wallet, so
-- no intent is ever given them. A deposit that pays one is recorded as 'external'.
CREATE TABLE amount_reservations (
  id          BIGSERIAL PRIMARY KEY,
  network     TEXT NOT NULL,
  amount      BIGINT NOT NULL CHECK (amount > 0),
  label       TEXT NOT NULL,                -- the website's own reference, e.g. its order number
  actor       TEXT NOT NULL,                -- who reserved it (admin:<name>, cli:<user>)
  status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paid', 'released')),
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at  TIMESTAMPTZ NOT NULL,
  deposit_id  BIGINT REFERENCES deposits(id),
  paid_at     TIMESTAMPTZ
);
CREATE INDEX amount_reservations_network ON amount_reservations (network, id);

-- Every amount a transfer to a network's wallet may carry that is spoken for: each intent's
-- amount and that amount less each configured exchange fee, and each reservation. Values are
-- unique among the holds not released, whatever instance wrote them, so one transfer can be
-- attributed to one holder only. A hold outlives its intent by a cooldown, so a late or a
-- second payment of an amount finds the intent it was for, never the next client's.
CREATE TABLE amount_holds (
  network         TEXT NOT NULL,
  amount          BIGINT NOT NULL CHECK (amount > 0),
  intent_id       UUID REFERENCES topup_intents(id),
  reservation_id  BIGINT REFERENCES amount_reservations(id),
  fee             BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0),  -- amount = holder's amount - fee
  held_until      TIMESTAMPTZ NOT NULL,
  released        BOOLEAN NOT NULL DEFAULT false,
  CHECK ((intent_id IS NULL) <> (reservation_id IS NULL))
);
CREATE UNIQUE INDEX amount_holds_live ON amount_holds (network, amount) WHERE NOT released;
CREATE INDEX amount_holds_expiring ON amount_holds (network, held_until) WHERE NOT released;
CREATE INDEX amount_holds_intent ON amount_holds (intent_id) WHERE intent_id IS NOT NULL;

-- The registry replaces the pending-amount index: it is stricter (fees, cooldown, reservations).
DROP INDEX topup_intents_pending_amount;
-- Intents in flight hold their amounts now; give the ones an older release left pending theirs.
INSERT INTO amount_holds (network, amount, intent_id, held_until)
SELECT network, amount, id, expires_at + interval '1 day' FROM topup_intents
 WHERE status = 'pending';

ALTER TABLE topup_intents DROP CONSTRAINT topup_intents_status_check;
ALTER TABLE topup_intents ADD CONSTRAINT topup_intents_status_check
  CHECK (status IN ('pending', 'credited_auto', 'credited_short', 'credited_manual', 'expired'));
ALTER TABLE topup_intents
  ADD COLUMN payment_memo     TEXT,     -- TON and Solana: the comment that names this intent
  ADD COLUMN webhook_url      TEXT,     -- where topup.* events are posted
  ADD COLUMN idempotency_key  TEXT,
  ADD COLUMN request_hash     TEXT,
  ADD CONSTRAINT topup_intents_idempotency UNIQUE (key_id, idempotency_key);
CREATE UNIQUE INDEX topup_intents_memo ON topup_intents (network, payment_memo)
  WHERE payment_memo IS NOT NULL;
-- The pending-intent cap per key and network counts these.
CREATE INDEX topup_intents_key_pending ON topup_intents (key_id, network) WHERE status = 'pending';

ALTER TABLE deposits DROP CONSTRAINT deposits_status_check;
ALTER TABLE deposits ADD CONSTRAINT deposits_status_check
  CHECK (status IN ('credited', 'assigned', 'claimed', 'unmatched', 'external'));
ALTER TABLE deposits DROP CONSTRAINT deposits_reason_check;
ALTER TABLE deposits ADD CONSTRAINT deposits_reason_check
  CHECK (reason IN ('no_intent', 'expired', 'ambiguous', 'amount_mismatch',
                    'amount_out_of_range', 'before_intent', 'already_credited'));
ALTER TABLE deposits
  -- how a credited deposit found its intent: its amount, its amount less an exchange fee
  -- (credited short), or its memo
  ADD COLUMN matched_by      TEXT CHECK (matched_by IN ('amount', 'fee', 'memo')),
  ADD COLUMN reservation_id  BIGINT REFERENCES amount_reservations(id);
