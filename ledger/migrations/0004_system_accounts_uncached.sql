-- System accounts (the other side of top-ups, manual credits and sales) take a posting from
-- every entry of their kind. Keeping a cached balance on them made each order and each
-- deposit wait on that one row for the previous transaction's commit: orders were serialized
-- at about one commit at a time. Only client accounts keep cached columns now (they are the
-- ones read on every request); a system account's balance is the sum of its postings, as the
-- view below shows.
CREATE OR REPLACE FUNCTION ledger_apply_posting() RETURNS trigger AS $$
DECLARE
  tx_kind TEXT;
BEGIN
  SELECT kind INTO tx_kind FROM ledger_transactions WHERE id = NEW.transaction_id;
  -- The key_id condition is checked before the row is locked: system rows are never locked.
  UPDATE ledger_accounts SET
    balance        = balance + NEW.amount,
    total_topup    = total_topup    + CASE WHEN tx_kind IN ('topup', 'manual_credit') THEN NEW.amount ELSE 0 END,
    total_spent    = total_spent    + CASE WHEN tx_kind = 'order_debit' THEN -NEW.amount ELSE 0 END,
    total_refunded = total_refunded + CASE WHEN tx_kind = 'refund' THEN NEW.amount ELSE 0 END
  WHERE id = NEW.account_id AND key_id IS NOT NULL;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

UPDATE ledger_accounts SET balance = 0, total_topup = 0, total_spent = 0, total_refunded = 0
 WHERE key_id IS NULL;

COMMENT ON COLUMN ledger_accounts.balance IS
  'client accounts (key_id set): the sum of the postings, kept by ledger_apply_posting(); system accounts: 0, see ledger_account_balances';

CREATE VIEW ledger_account_balances AS
  SELECT a.id, a.code, a.key_id, COALESCE(sum(p.amount), 0)::bigint AS balance
    FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id
   GROUP BY a.id, a.code, a.key_id;
