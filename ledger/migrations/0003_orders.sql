-- Orders: balance debit, stock reservation, fulfilment, refunds, and the webhook outbox.

-- The other side of order debits and refunds.
INSERT INTO ledger_accounts (code) VALUES ('system:sales');

CREATE TABLE orders (
  id                     BIGSERIAL PRIMARY KEY,
  key_id                 BIGINT NOT NULL REFERENCES api_keys(id),
  product_id             BIGINT NOT NULL REFERENCES products(id),
  quantity               INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
  unit_price             BIGINT NOT NULL CHECK (unit_price > 0),
  price                  BIGINT NOT NULL CHECK (price = unit_price * quantity),
  status                 TEXT NOT NULL DEFAULT 'processing'
                         CHECK (status IN ('processing', 'completed', 'partial', 'failed',
                                           'expired', 'cancelled')),
  delivered              INTEGER NOT NULL DEFAULT 0 CHECK (delivered BETWEEN 0 AND quantity),
  -- What the refund job owes the client: the undelivered part of a partial order, the whole
  -- price of a failed, expired or cancelled one. Paid once (refunded), by its own entry.
  refund_due             BIGINT NOT NULL DEFAULT 0 CHECK (refund_due BETWEEN 0 AND price),
  refunded               BOOLEAN NOT NULL DEFAULT false,
  debit_transaction_id   BIGINT NOT NULL REFERENCES ledger_transactions(id),
  refund_transaction_id  BIGINT REFERENCES ledger_transactions(id),
  webhook_url            TEXT,
  error_message          TEXT,
  idempotency_key        TEXT,
  request_hash           TEXT,
  deadline               TIMESTAMPTZ NOT NULL,
  created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (key_id, idempotency_key),
  CHECK (refunded = (refund_transaction_id IS NOT NULL))
);
CREATE INDEX orders_processing ON orders (id) WHERE status = 'processing';
CREATE INDEX orders_refund_due ON orders (id) WHERE refund_due > 0 AND NOT refunded;
CREATE INDEX orders_key ON orders (key_id, id);

ALTER TABLE stock_items ADD CONSTRAINT stock_items_order FOREIGN KEY (order_id) REFERENCES orders(id);
CREATE INDEX stock_items_order ON stock_items (order_id) WHERE order_id IS NOT NULL;

-- Webhook outbox: a row per status change, written in the transaction of the change; the
-- dispatcher sends each one until it gets a 2xx or runs out of attempts.
CREATE TABLE webhook_deliveries (
  id                BIGSERIAL PRIMARY KEY,
  order_id          BIGINT NOT NULL REFERENCES orders(id),
  key_id            BIGINT NOT NULL REFERENCES api_keys(id),
  url               TEXT NOT NULL,
  event             TEXT NOT NULL,     -- the order status, or 'refunded'
  body              TEXT NOT NULL,     -- exactly the bytes that are signed and sent
  status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error        TEXT,
  last_http_status  INTEGER,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at      TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (id) WHERE status = 'failed';

-- Places an order in one round trip and one transaction: checks in the order the API reports
-- them, then the debit (a balanced ledger entry), the stock reservation (a counter that can
-- never go below zero) and the order row. `outcome` says what happened; on refusals the other
-- columns carry what the error message needs.
CREATE FUNCTION place_order(p_key_id BIGINT, p_product_id BIGINT, p_quantity INTEGER,
                            p_webhook_url TEXT, p_idempotency_key TEXT, p_request_hash TEXT,
                            p_min_order BIGINT, p_deadline_seconds INTEGER)
RETURNS TABLE (outcome TEXT, order_id BIGINT, unit_price BIGINT, price BIGINT,
               min_quantity INTEGER, balance BIGINT, stock INTEGER, created_at BIGINT) AS $$
DECLARE
  v_product   products%ROWTYPE;
  v_existing  orders%ROWTYPE;
  v_account   ledger_accounts%ROWTYPE;
  v_sales     BIGINT;
  v_price     BIGINT;
  v_order_id  BIGINT;
  v_tx_id     BIGINT;
  v_stock     INTEGER;
BEGIN
  IF p_idempotency_key IS NOT NULL THEN
    SELECT * INTO v_existing FROM orders o
     WHERE o.key_id = p_key_id AND o.idempotency_key = p_idempotency_key;
    IF FOUND THEN
      RETURN QUERY SELECT CASE WHEN v_existing.request_hash = p_request_hash THEN 'replayed'
                               ELSE 'idempotency_conflict' END,
                          v_existing.id, v_existing.unit_price, v_existing.price,
                          NULL::INTEGER, NULL::BIGINT, NULL::INTEGER, NULL::BIGINT;
      RETURN;
    END IF;
  END IF;

  SELECT * INTO v_product FROM products WHERE id = p_product_id;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_product', NULL::BIGINT, NULL::BIGINT, NULL::BIGINT,
                        NULL::INTEGER, NULL::BIGINT, NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;
  IF p_quantity < v_product.min_quantity THEN
    RETURN QUERY SELECT 'below_min_quantity', NULL::BIGINT, v_product.price, NULL::BIGINT,
                        v_product.min_quantity, NULL::BIGINT, NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;
  v_price := v_product.price * p_quantity;  -- bigint: overflow raises, never wraps
  IF v_price < p_min_order THEN
    RETURN QUERY SELECT 'below_min_order', NULL::BIGINT, v_product.price, v_price,
                        v_product.min_quantity, NULL::BIGINT, NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;

  -- The client's account first, then the product: every transaction that takes both takes
  -- them in this order, so concurrent orders cannot deadlock.
  SELECT * INTO v_account FROM ledger_accounts a WHERE a.key_id = p_key_id FOR UPDATE;
  IF NOT FOUND OR v_account.balance < v_price THEN
    RETURN QUERY SELECT 'insufficient_balance', NULL::BIGINT, v_product.price, v_price,
                        v_product.min_quantity, COALESCE(v_account.balance, 0), NULL::INTEGER, NULL::BIGINT;
    RETURN;
  END IF;
  UPDATE products p SET stock = p.stock - p_quantity, updated_at = now()
   WHERE p.id = p_product_id AND p.stock >= p_quantity
  RETURNING p.stock INTO v_stock;
  IF NOT FOUND THEN
    SELECT p.stock INTO v_stock FROM products p WHERE p.id = p_product_id;
    RETURN QUERY SELECT 'insufficient_stock', NULL::BIGINT, v_product.price, v_price,
                        v_product.min_quantity, NULL::BIGINT, v_stock, NULL::BIGINT;
    RETURN;
  END IF;

  v_order_id := nextval(pg_get_serial_sequence('orders', 'id'));
  INSERT INTO ledger_transactions (idempotency_key, kind, description)
  VALUES ('order:' || v_order_id, 'order_debit', 'order ' || v_order_id)
  RETURNING id INTO v_tx_id;
  SELECT a.id INTO v_sales FROM ledger_accounts a WHERE a.code = 'system:sales';
  INSERT INTO ledger_postings (transaction_id, account_id, amount)
  VALUES (v_tx_id, v_account.id, -v_price), (v_tx_id, v_sales, v_price);
  INSERT INTO orders (id, key_id, product_id, quantity, unit_price, price, debit_transaction_id,
                      webhook_url, idempotency_key, request_hash, deadline)
  VALUES (v_order_id, p_key_id, p_product_id, p_quantity, v_product.price, v_price, v_tx_id,
          p_webhook_url, p_idempotency_key, p_request_hash,
          now() + make_interval(secs => p_deadline_seconds));
  RETURN QUERY SELECT 'created', v_order_id, v_product.price, v_price, v_product.min_quantity,
                      v_account.balance - v_price, v_stock,
                      extract(epoch FROM now())::bigint;
END $$ LANGUAGE plpgsql;
