-- pgbench reference for TopupStore::Create (bench/topup_create_benchmark.cpp; results in
-- docs/benchmarks.md, "Top-up intent creation"): the same query shape without the daemon's
-- other statements, i.e. one transaction with the SELECT of the held amounts of a 1.00 band
-- (plus the largest fee below it) on the benchmark's filled network and an INSERT ... RETURNING
-- into a copy of topup_intents (every index and check, no foreign key). Set up once with
--   CREATE TABLE topup_create_ref (LIKE topup_intents INCLUDING ALL);
-- and run with -D network=<the benchmark's label> -M extended (unnamed statements, as libpqxx's
-- exec_params sends them), e.g.
--   pgbench -n -M extended -c 1 -T 20 -l -f bench/topup_create.sql -D network=$NETWORK $URL
\set key random(1, 1000000)
\set requested random(1, 2000) * 1000000
\set amount :requested + random(1, 99) * 10000
BEGIN;
SELECT amount FROM amount_holds
 WHERE network = :network AND NOT released
   AND amount BETWEEN :requested + 10000 - 1000000 AND :requested + 1000000;
INSERT INTO topup_create_ref (key_id, network, requested_amount, amount, expires_at)
VALUES (:key, :network, :requested, :amount, now() + make_interval(secs => 3600))
RETURNING id::text;
END;
