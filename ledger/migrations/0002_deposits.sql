-- Deposits: top-up intents, on-chain deposits (credited or kept for finance), chain cursors.

CREATE TABLE topup_intents (
  id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  key_id            BIGINT NOT NULL REFERENCES api_keys(id),
  network           TEXT NOT NULL,
  requested_amount  BIGINT NOT NULL CHECK (requested_amount > 0),
  amount            BIGINT NOT NULL CHECK (amount >= requested_amount),  -- what to send: unique while pending
  status            TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'credited_auto', 'credited_manual', 'expired')),
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at        TIMESTAMPTZ NOT NULL,
  deposit_id        BIGINT,
  credited_at       TIMESTAMPTZ
);
-- Two pending intents on one network never share an amount, whatever instance created them.
CREATE UNIQUE INDEX topup_intents_pending_amount ON topup_intents (network, amount)
  WHERE status = 'pending';
CREATE INDEX topup_intents_matching ON topup_intents (network, status, amount);
CREATE INDEX topup_intents_key ON topup_intents (key_id, created_at);

CREATE TABLE deposits (
  id                      BIGSERIAL PRIMARY KEY,
  network                 TEXT NOT NULL,
  tx_id                   TEXT NOT NULL,
  event_index             BIGINT NOT NULL,
  from_address            TEXT NOT NULL,
  to_address              TEXT NOT NULL,
  raw_amount              NUMERIC(78, 0) NOT NULL,  -- base units exactly as on chain
  decimals                INTEGER NOT NULL,
  amount                  BIGINT NOT NULL,          -- micro-USDT: raw amount without the dust
  block_number            BIGINT NOT NULL,
  block_hash              TEXT NOT NULL,
  block_time              TIMESTAMPTZ NOT NULL,
  status                  TEXT NOT NULL CHECK (status IN ('credited', 'assigned', 'unmatched')),
  reason                  TEXT CHECK (reason IN ('no_intent', 'expired', 'ambiguous',
                                                 'amount_mismatch', 'amount_out_of_range')),
  intent_id               UUID REFERENCES topup_intents(id),
  key_id                  BIGINT REFERENCES api_keys(id),
  ledger_transaction_id   BIGINT REFERENCES ledger_transactions(id),
  detected_at             TIMESTAMPTZ NOT NULL DEFAULT now(),  -- recorded as final
  credited_at             TIMESTAMPTZ,
  -- A transfer is one deposit forever: replays and restarts cannot count it twice.
  UNIQUE (network, tx_id, event_index)
);
CREATE INDEX deposits_unmatched ON deposits (id) WHERE status = 'unmatched';

ALTER TABLE topup_intents ADD CONSTRAINT topup_intents_deposit
  FOREIGN KEY (deposit_id) REFERENCES deposits(id);

-- Transfers seen above the final height. Re-checked by block hash once final: a sighting whose
-- block was replaced is marked reorged and never credited.
CREATE TABLE unconfirmed_transfers (
  network       TEXT NOT NULL,
  tx_id         TEXT NOT NULL,
  event_index   BIGINT NOT NULL,
  block_number  BIGINT NOT NULL,
  block_hash    TEXT NOT NULL,
  amount        BIGINT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'seen' CHECK (status IN ('seen', 'reorged')),
  seen_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (network, tx_id, event_index, block_hash)
);

-- Where each network's watcher resumes: the first block not yet scanned. It moves only in the
-- transaction that records what was scanned.
CREATE TABLE chain_cursors (
  network       TEXT PRIMARY KEY,
  next_block    BIGINT NOT NULL CHECK (next_block >= 0),
  head          BIGINT,
  final_height  BIGINT,
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
