-- Secrets at rest are sealed (AES-256-GCM under a master key outside the database; see
-- core/secret_box.h), so a dump or a replica alone signs nothing. Every key gets a webhook
-- signing secret of its own, apart from its request-signing one, with the previous one kept
-- for a grace period after a rotation.
--
-- The clear-text hmac_secret column stays only so the upgrade can seal what it holds: the
-- step that runs after these migrations (ledger/secret_sealing.cpp) moves each value into
-- hmac_secret_sealed, sets it to NULL, and gives keys without one a webhook secret.
ALTER TABLE api_keys
  ADD COLUMN hmac_secret_sealed             TEXT,
  ADD COLUMN webhook_secret_sealed          TEXT,
  ADD COLUMN webhook_secret_previous_sealed TEXT,
  ADD COLUMN webhook_secret_previous_until  TIMESTAMPTZ;
COMMENT ON COLUMN api_keys.hmac_secret IS 'legacy clear text, always NULL once sealed';
