#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/result.h"
#include "ledger/topup_progress.h"

namespace instamarket {

class PgPool;

struct TopupIntent {
  std::string id;  // UUID
  std::int64_t key_id = 0;
  std::string network;
  Money requested_amount;
  Money amount;              // exactly what to send; held for this intent alone on the wallet
  std::string payment_memo;  // TON and Solana: the comment to send with it; empty elsewhere
  std::string status;        // pending | credited_auto | credited_short | credited_manual | expired
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  // Set once credited.
  std::optional<std::string> deposit_tx_id;
  std::optional<Money> deposit_amount;
  std::optional<std::int64_t> credited_at;
  bool replayed = false;  // Create: the Idempotency-Key named this earlier intent
  // Set while pending with a transfer sighted before finality (GET shows it as confirming).
  std::optional<TopupConfirming> confirming;
};

struct NewTopup {
  std::int64_t key_id = 0;
  std::string network;
  Money requested_amount;  // a whole number of cents
  Money max_surcharge;     // how far above the request a free amount may be
  int expiry_seconds = 3600;
  int expiry_grace_seconds = 900;
  bool offer_requested_amount = false;  // the requested amount itself may be given
  int max_pending_per_key = 3;          // pending intents of the key on the network
  // Intents of the key on the network not paid in full (pending, expired unpaid, paid short)
  // whose amounts are still held.
  int max_unpaid_held_per_key = 10;
  int amount_cooldown_seconds = 21600;              // holds outlive the intent's window by this
  std::vector<std::int64_t> withdrawal_fee_micros;  // held too: amount - fee, for each
  bool with_memo = false;                           // the chain carries a comment
  std::optional<std::string> webhook_url;
  std::optional<std::string> idempotency_key;
  std::string request_hash;  // of the request body, to tell a replay from a reuse
};

// Holds an amount on a network's wallet for the website's checkout, so no intent gets it.
struct NewReservation {
  std::string network;
  Money amount;                           // exactly this (a whole number of cents), or
  std::optional<Money> requested_amount;  // a random free amount above this (like an intent)
  Money max_surcharge;
  std::string label;
  int expiry_seconds = 3600;
  int amount_cooldown_seconds = 21600;
  std::vector<std::int64_t> withdrawal_fee_micros;
  std::string actor;
};

struct Reservation {
  std::int64_t id = 0;
  std::string network;
  Money amount;
  std::string label;
  std::string actor;
  std::string status;  // active | paid | released
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> deposit_id;
  std::optional<std::string> deposit_tx_id;
};

// Top-up intents and the wallet's amount registry. Each intent holds a random free amount
// above the requested one and that amount less each configured withdrawal fee (amount_holds,
// unique while not released), so one transfer is attributable to one intent only, across
// concurrent requests and daemon instances; the website's reservations hold amounts in the
// same registry. Thread-safe; blocking.
class TopupStore {
 public:
  static constexpr std::int64_t kStepMicros = 10'000;  // 0.01 USDT

  explicit TopupStore(std::shared_ptr<PgPool> pool);

  // A random free amount above the request (or the request itself when allowed), in 0.01
  // steps. kResourceExhausted when the key has max_pending_per_key pending intents on the
  // network, or max_unpaid_held_per_key intents there that expired unpaid and whose amounts are
  // still held (the message says when the first of those holds ends), or when every amount up
  // to the surcharge limit is held; kAlreadyExists when the Idempotency-Key was used with
  // another body (the message names the intent). Holds past their held_until are free whether
  // or not DeleteEndedHolds has run. Two round trips besides BEGIN and COMMIT (one more per
  // amount a concurrent request took first).
  Result<TopupIntent> Create(const NewTopup& request);
  // kNotFound when there is no such intent or it belongs to another key.
  Result<TopupIntent> Get(std::int64_t key_id, const std::string& topup_id);
  // The expiry sweeper's pass: marks up to `limit` pending intents past expires_at +
  // `grace_seconds` expired and queues topup.expired for each; skips rows other instances
  // hold. Returns how many it expired (ledger/topup_events.cpp).
  Result<int> ExpireOverdue(int grace_seconds, int limit);
  // The sweeper's other pass: deletes up to `limit` amount holds whose time is up (held_until
  // past), oldest first, on every network; skips rows other transactions hold. Create and
  // Reserve ignore an ended hold (and delete those of their band); until this pass deletes it,
  // the matcher may still find it, as it did before a release. Returns how many.
  Result<int> DeleteEndedHolds(int limit);

  // kResourceExhausted when the amount (or every amount of the band) is held; audited.
  Result<Reservation> Reserve(const NewReservation& request);
  Result<Reservation> GetReservation(std::int64_t id);
  Result<std::vector<Reservation>> ListReservations(const std::optional<std::string>& network,
                                                    int limit);
  // Releases an active reservation's amounts at once; kFailedPrecondition when not active.
  Result<Reservation> ReleaseReservation(std::int64_t id, const std::string& actor);

 private:
  std::shared_ptr<PgPool> pool_;
};

}  // namespace instamarket
