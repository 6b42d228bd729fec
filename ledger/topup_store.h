#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

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
  Money amount;           // exactly what to send; unique among the network's pending intents
  std::string status;     // pending | credited_auto | credited_manual | expired
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  // Set once credited.
  std::optional<std::string> deposit_tx_id;
  std::optional<Money> deposit_amount;
  std::optional<std::int64_t> credited_at;
  // Set while pending with a transfer sighted before finality (GET shows it as confirming).
  std::optional<TopupConfirming> confirming;
};

struct NewTopup {
  std::int64_t key_id = 0;
  std::string network;
  Money requested_amount;      // a whole number of cents
  Money max_surcharge;         // how far above the request a free amount may be
  int expiry_seconds = 3600;
  int expiry_grace_seconds = 900;
};

// Top-up intents. Amounts are allocated under the database's unique index on pending
// (network, amount), so they stay unique across concurrent requests and daemon instances.
// Thread-safe; blocking.
class TopupStore {
 public:
  static constexpr std::int64_t kStepMicros = 10'000;  // 0.01 USDT

  explicit TopupStore(std::shared_ptr<PgPool> pool);

  // The requested amount, or the nearest free one above it in 0.01 steps. kResourceExhausted
  // when every amount up to the surcharge limit is taken.
  Result<TopupIntent> Create(const NewTopup& request);
  // kNotFound when there is no such intent or it belongs to another key.
  Result<TopupIntent> Get(std::int64_t key_id, const std::string& topup_id);
  // The expiry sweeper's pass: marks up to `limit` pending intents past expires_at +
  // `grace_seconds` expired and queues topup.expired for each; skips rows other instances
  // hold. Returns how many it expired (ledger/topup_events.cpp).
  Result<int> ExpireOverdue(int grace_seconds, int limit);

 private:
  std::shared_ptr<PgPool> pool_;
};

}  // namespace instamarket
