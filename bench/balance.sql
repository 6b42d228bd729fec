-- The daemon's balance query, verbatim (prepared as "balance_get" in ledger/balance_store.cpp),
-- for `pgbench -f bench/balance.sql -D id=KEY_ID -M prepared`; bench/run.sh passes the bench key's id.
SELECT balance, total_spent, total_topup, total_refunded FROM ledger_accounts WHERE key_id = :id;
