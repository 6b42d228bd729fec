-- Deposits whose block a reorg deeper than the network's finality replaced (EVM; see
-- adapters/evm_block_hashes.h). Flagged for finance, never silently kept as if fine:
--   vanished  the transfer is no longer on the chain. A credited one stays credited (its money
--             may be spent already) until finance decides; an unmatched one can no longer be
--             assigned or claimed.
--   remined   the same transfer (tx id and log index) is in another block now: still one
--             deposit, counted once; block_number and block_hash are the new block's.
ALTER TABLE deposits ADD COLUMN reorg_status TEXT CHECK (reorg_status IN ('vanished', 'remined'));
ALTER TABLE deposits ADD COLUMN reorged_at TIMESTAMPTZ;
CREATE INDEX deposits_reorged ON deposits (id) WHERE reorg_status IS NOT NULL;

-- Whatever path credits an unmatched deposit (finance's assign, a client's claim), a vanished
-- one is never credited.
CREATE FUNCTION deposits_refuse_vanished_credit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'deposit % vanished in a chain reorg and cannot be credited', NEW.id
    USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER deposits_vanished_not_credited
  BEFORE UPDATE OF status ON deposits
  FOR EACH ROW
  WHEN (OLD.status = 'unmatched' AND NEW.status <> 'unmatched'
        AND NEW.reorg_status IS NOT DISTINCT FROM 'vanished')
  EXECUTE FUNCTION deposits_refuse_vanished_credit();
