-- The daemon's order transaction for pgbench (bench/orders.sh): the same place_order() call
-- POST /api/v1/orders makes, for a random one of the bench keys and its product.
\set k random(0, :keys - 1)
\set key :first_key + :k
\set product :first_product + :k
SELECT * FROM place_order(:key, :product, 1, NULL, NULL, 'bench', 0, 86400);
