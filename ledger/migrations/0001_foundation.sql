-- Foundation: API keys, catalog and stock, the double-entry ledger, usage, audit log.
-- Money columns are BIGINT micro-USDT (6 decimals).

CREATE TABLE api_keys (
  id           BIGSERIAL PRIMARY KEY,
  label        TEXT NOT NULL,
  key_hash     BYTEA NOT NULL UNIQUE,          -- SHA-256 of the key; the key itself is never stored
  key_prefix   TEXT NOT NULL,                  -- first characters, so people can tell keys apart
  hmac_secret  TEXT,                           -- shared secret for request signing (NULL: none)
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at   TIMESTAMPTZ                     -- revoked keys stay for the audit trail
);

CREATE TABLE api_key_allowed_ips (
  key_id  BIGINT NOT NULL REFERENCES api_keys(id),
  ip      INET NOT NULL,
  PRIMARY KEY (key_id, ip)
);

-- Signatures already accepted, so a captured request cannot be replayed inside the window.
CREATE TABLE api_seen_signatures (
  signature  TEXT PRIMARY KEY,
  key_id     BIGINT NOT NULL REFERENCES api_keys(id),
  seen_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX api_seen_signatures_seen_at ON api_seen_signatures (seen_at);

CREATE TABLE api_key_usage (
  key_id         BIGINT PRIMARY KEY REFERENCES api_keys(id),
  request_count  BIGINT NOT NULL DEFAULT 0,
  first_used_at  TIMESTAMPTZ NOT NULL,
  last_used_at   TIMESTAMPTZ NOT NULL,
  last_endpoint  TEXT NOT NULL
);

CREATE TABLE api_audit_log (
  id          BIGSERIAL PRIMARY KEY,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target      TEXT NOT NULL,
  details     JSONB NOT NULL DEFAULT '{}',
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE products (
  id            BIGINT PRIMARY KEY,
  sku           TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  category      TEXT NOT NULL,
  price         BIGINT NOT NULL CHECK (price > 0),
  min_quantity  INTEGER NOT NULL DEFAULT 1 CHECK (min_quantity >= 1),
  stock         INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),  -- unsold items, kept with stock_items
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX products_category ON products (category, id);

CREATE TABLE stock_items (
  id            BIGSERIAL PRIMARY KEY,
  product_id    BIGINT NOT NULL REFERENCES products(id),
  payload       JSONB NOT NULL,                 -- the credentials an order delivers: a secret
  payload_hash  BYTEA NOT NULL,                 -- SHA-256 of the line, so a re-import adds nothing
  order_id      BIGINT,                         -- set when sold
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (product_id, payload_hash)
);
CREATE INDEX stock_items_unsold ON stock_items (product_id, id) WHERE order_id IS NULL;

-- Double-entry ledger. An account's balance is the sum of its postings; the cached columns
-- are kept by the trigger below in the same transaction, so they can never drift.
CREATE TABLE ledger_accounts (
  id               BIGSERIAL PRIMARY KEY,
  code             TEXT NOT NULL UNIQUE,        -- 'key:42', 'system:manual_credits', ...
  key_id           BIGINT UNIQUE REFERENCES api_keys(id),
  balance          BIGINT NOT NULL DEFAULT 0,
  total_topup      BIGINT NOT NULL DEFAULT 0,
  total_spent      BIGINT NOT NULL DEFAULT 0,
  total_refunded   BIGINT NOT NULL DEFAULT 0,
  -- A client's money can never go below zero; system accounts are the other side of entries.
  CONSTRAINT client_balance_not_negative CHECK (key_id IS NULL OR balance >= 0)
);

CREATE TABLE ledger_transactions (
  id               BIGSERIAL PRIMARY KEY,
  idempotency_key  TEXT NOT NULL UNIQUE,
  kind             TEXT NOT NULL CHECK (kind IN ('topup', 'manual_credit', 'order_debit', 'refund')),
  description      TEXT NOT NULL DEFAULT '',
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE ledger_postings (
  id              BIGSERIAL PRIMARY KEY,
  transaction_id  BIGINT NOT NULL REFERENCES ledger_transactions(id),
  account_id      BIGINT NOT NULL REFERENCES ledger_accounts(id),
  amount          BIGINT NOT NULL CHECK (amount <> 0)  -- positive adds to the account
);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id);
CREATE INDEX ledger_postings_transaction ON ledger_postings (transaction_id);

CREATE FUNCTION ledger_apply_posting() RETURNS trigger AS $$
DECLARE
  tx_kind TEXT;
BEGIN
  SELECT kind INTO tx_kind FROM ledger_transactions WHERE id = NEW.transaction_id;
  UPDATE ledger_accounts SET
    balance        = balance + NEW.amount,
    total_topup    = total_topup    + CASE WHEN tx_kind IN ('topup', 'manual_credit') THEN NEW.amount ELSE 0 END,
    total_spent    = total_spent    + CASE WHEN tx_kind = 'order_debit' THEN -NEW.amount ELSE 0 END,
    total_refunded = total_refunded + CASE WHEN tx_kind = 'refund' THEN NEW.amount ELSE 0 END
  WHERE id = NEW.account_id;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_postings_apply AFTER INSERT ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION ledger_apply_posting();

-- Postings are history: never changed, never deleted.
CREATE FUNCTION ledger_postings_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger_postings are append-only';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION ledger_postings_immutable();

-- Every transaction balances: checked at commit, once all its postings are in.
CREATE FUNCTION ledger_check_balanced() RETURNS trigger AS $$
DECLARE
  total BIGINT;
BEGIN
  SELECT COALESCE(SUM(amount), 0) INTO total FROM ledger_postings
   WHERE transaction_id = NEW.transaction_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % does not balance (sum %)', NEW.transaction_id, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

INSERT INTO ledger_accounts (code) VALUES ('system:manual_credits');
