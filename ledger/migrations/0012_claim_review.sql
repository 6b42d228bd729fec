-- Finance's view of a claim (ledger/claim_store.h ClaimReview): the deposits a sender address
-- made on a network, and the claims on one deposit, are looked up for every claim listed.
CREATE INDEX deposits_sender ON deposits (network, from_address);
CREATE INDEX deposit_claims_deposit ON deposit_claims (deposit_id, created_at);
