-- Chains without block numbers (Tron, TON, Solana): a cursor is a position that only grows
-- (block timestamp, logical time, slot) plus adapter state (ids already seen at that position,
-- a signature), stored and compared together. Deposits keep the comment a transfer carried.
ALTER TABLE chain_cursors RENAME COLUMN next_block TO position;
ALTER TABLE chain_cursors ADD COLUMN position_state TEXT NOT NULL DEFAULT '';
ALTER TABLE deposits ADD COLUMN memo TEXT;
