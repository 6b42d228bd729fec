-- Never missing a deposit, and noticing if one was: the second look's position per network
-- (watcher/second_look.h), and reconciliation (ledger/reconciliation_store.h): each master
-- wallet's token balance on chain against what the ledger recorded, in base units exactly.

-- The second look re-reads final positions below this one, after a delay, through another
-- endpoint; what it finds that the watcher's scan did not is recorded like any deposit.
CREATE TABLE second_look_positions (
  network     TEXT PRIMARY KEY,
  position    BIGINT NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Transfers of the token out of a master wallet (a sweep to cold storage, a refund by hand),
-- read from the chain by reconciliation, so that the wallet's balance explains itself.
CREATE TABLE outgoing_transfers (
  id            BIGSERIAL PRIMARY KEY,
  network       TEXT NOT NULL,
  tx_id         TEXT NOT NULL,
  event_index   BIGINT NOT NULL,
  from_address  TEXT NOT NULL,
  to_address    TEXT NOT NULL,
  raw_amount    NUMERIC(78, 0) NOT NULL CHECK (raw_amount > 0),
  decimals      INTEGER NOT NULL,
  block_number  BIGINT NOT NULL,
  block_hash    TEXT NOT NULL,
  recorded_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (network, tx_id, event_index)
);
CREATE INDEX outgoing_transfers_block ON outgoing_transfers (network, block_number);
-- The ledger's incoming side is summed by block range.
CREATE INDEX deposits_block ON deposits (network, block_number);

-- Where a network's reconciliation counts from: the wallet's balance before `position`, taken
-- from the chain once (at the watch's start block where the node still has that state).
CREATE TABLE reconciliation_baselines (
  network      TEXT PRIMARY KEY,
  position     BIGINT NOT NULL,
  raw_balance  NUMERIC(78, 0) NOT NULL CHECK (raw_balance >= 0),
  decimals     INTEGER NOT NULL,
  taken_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One reconciliation: as of every block below `position`,
--   drift = chain balance - (baseline + incoming recorded - outgoing recorded).
CREATE TABLE reconciliation_runs (
  id                 BIGSERIAL PRIMARY KEY,
  network            TEXT NOT NULL,
  position           BIGINT NOT NULL,
  baseline_position  BIGINT NOT NULL,
  baseline_raw       NUMERIC(78, 0) NOT NULL,
  chain_raw          NUMERIC(78, 0) NOT NULL,
  incoming_raw       NUMERIC(78, 0) NOT NULL,
  outgoing_raw       NUMERIC(78, 0) NOT NULL,
  drift_raw          NUMERIC(79, 0) NOT NULL,
  decimals           INTEGER NOT NULL,
  unexplained_raw    NUMERIC(79, 0) NOT NULL,  -- the drift less what its lines explain
  actor              TEXT NOT NULL,            -- "reconciler", "cli:<user>"
  run_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_runs_network ON reconciliation_runs (network, id DESC);

-- The drift explained, one transfer per line: `effect` is what the line adds to the drift
-- (an incoming transfer the ledger lacks: +amount; one the ledger has but the chain does not:
-- -amount; outgoing the other way round).
CREATE TABLE reconciliation_lines (
  run_id        BIGINT NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL CHECK (kind IN ('unrecorded_incoming', 'unrecorded_outgoing',
                                              'incoming_not_on_chain', 'outgoing_not_on_chain')),
  tx_id         TEXT NOT NULL,
  event_index   BIGINT NOT NULL,
  counterparty  TEXT NOT NULL,
  raw_amount    NUMERIC(78, 0) NOT NULL,
  effect_raw    NUMERIC(79, 0) NOT NULL,
  block_number  BIGINT NOT NULL
);
CREATE INDEX reconciliation_lines_run ON reconciliation_lines (run_id);
