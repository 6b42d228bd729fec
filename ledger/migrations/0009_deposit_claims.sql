-- Claims (issue 13 item 5): a client whose deposit went unmatched claims it, and proves it by
-- signing a challenge with the wallet that sent it, or asks finance to review the claim.

CREATE TABLE deposit_claims (
  id                     UUID PRIMARY KEY,
  key_id                 BIGINT NOT NULL REFERENCES api_keys(id),
  deposit_id             BIGINT NOT NULL REFERENCES deposits(id),
  -- awaiting_proof: the challenge may be signed until expires_at (then it reads as expired);
  -- in_review: finance decides; credited: the deposit is the key's; refused: it is not;
  -- expired: the challenge lapsed unsigned (set when the key makes its next claim).
  status                 TEXT NOT NULL DEFAULT 'awaiting_proof'
                         CHECK (status IN ('awaiting_proof', 'in_review', 'credited', 'refused',
                                           'expired')),
  signature_scheme       TEXT NOT NULL CHECK (signature_scheme IN ('eip191', 'tip191', 'ed25519')),
  challenge              TEXT NOT NULL,  -- the exact text to sign; names the claim, key, deposit
  created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at             TIMESTAMPTZ NOT NULL,
  note                   TEXT,           -- the client's words when asking for a review
  review_requested_at    TIMESTAMPTZ,
  proof_signature        TEXT,           -- the signature that proved it, as sent
  decided_by             TEXT,           -- key:<id> (a proof), admin:<name> or cli:<user>
  decision_reason        TEXT,
  decided_at             TIMESTAMPTZ,
  ledger_transaction_id  BIGINT REFERENCES ledger_transactions(id)
);
CREATE INDEX deposit_claims_key ON deposit_claims (key_id, created_at);
CREATE INDEX deposit_claims_status ON deposit_claims (status, created_at);
-- A key has one open claim per deposit; a deposit is credited through one claim at most.
CREATE UNIQUE INDEX deposit_claims_open ON deposit_claims (deposit_id, key_id)
  WHERE status IN ('awaiting_proof', 'in_review');
CREATE UNIQUE INDEX deposit_claims_credited ON deposit_claims (deposit_id)
  WHERE status = 'credited';
