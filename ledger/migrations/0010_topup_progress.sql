-- Top-up progress and notifications (issue 13 item 7): an intent shows the transfer sighted for
-- it before finality, and top-up events go through the webhook outbox like order events.

-- The sighting of a transfer that pays a pending intent, above the final height. The intent
-- stays 'pending' (GET shows it as confirming); a reorg that removes the sighting clears these.
ALTER TABLE topup_intents
  ADD COLUMN confirming_tx_id               TEXT,
  ADD COLUMN confirming_event_index         BIGINT,
  ADD COLUMN confirming_block_number        BIGINT,
  ADD COLUMN confirming_block_hash          TEXT,
  ADD COLUMN confirming_amount              BIGINT,
  ADD COLUMN confirming_since               TIMESTAMPTZ,
  -- How the network decides finality, as the watcher knew it at the sighting: a depth
  -- (confirmations needed), or a finality tag with the chain's expected time to finality.
  ADD COLUMN confirming_needed              INTEGER,
  ADD COLUMN confirming_finality            TEXT,
  ADD COLUMN confirming_expected_seconds    INTEGER,
  ADD CONSTRAINT topup_intents_confirming
    CHECK ((confirming_tx_id IS NULL) = (confirming_block_hash IS NULL)
           AND (confirming_tx_id IS NULL) = (confirming_block_number IS NULL));
CREATE INDEX topup_intents_confirming ON topup_intents (network, confirming_tx_id)
  WHERE confirming_tx_id IS NOT NULL;
-- The expiry sweeper's queue.
CREATE INDEX topup_intents_pending_expiry ON topup_intents (expires_at) WHERE status = 'pending';

-- The outbox carries top-up events too: each row is for exactly one order or one intent.
ALTER TABLE webhook_deliveries ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE webhook_deliveries
  ADD COLUMN topup_id UUID REFERENCES topup_intents(id),
  ADD CONSTRAINT webhook_deliveries_subject CHECK ((order_id IS NULL) <> (topup_id IS NULL));
CREATE INDEX webhook_deliveries_topup ON webhook_deliveries (topup_id) WHERE topup_id IS NOT NULL;
