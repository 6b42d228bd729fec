#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/json_writer.h"
#include "core/money.h"

namespace instamarket {

// How a network decides that a block is final, as a top-up's progress reports it.
struct NetworkFinality {
  // A depth: final once this many blocks are on top of the transfer's block (the network's
  // `confirmations`). 0 when the network uses a finality tag instead.
  int confirmations_needed = 0;
  // The tag ("finalized", "safe", "solidified"), empty for a depth.
  std::string tag;
  // With a tag: the chain's usual time from inclusion to finality, in seconds; nullopt when
  // the daemon knows no figure for the chain (then only `confirmations` so far is shown).
  std::optional<int> expected_seconds;
};

// The finality rule of `network` (its confirmations, or its finality tag with the chain's
// expected time to finality).
NetworkFinality FinalityOf(const NetworkConfig& network);

// A transfer sighted for a pending intent before it is final. Stored on the intent
// (topup_intents.confirming_*); cleared when a reorg removes it.
struct TopupConfirming {
  std::string tx_id;
  std::int64_t event_index = 0;
  std::int64_t block_number = 0;
  Money amount;
  std::int64_t head = 0;   // the network's head at its latest scan
  std::int64_t since = 0;  // unix seconds: when it was first sighted
  NetworkFinality finality;

  // Blocks on top of the transfer's block (0 in the block that holds it).
  std::int64_t confirmations() const { return head > block_number ? head - block_number : 0; }
};

// {"tx_id", "block_number", "amount_usdt", "confirmations", "confirmations_needed" (null with
// a finality tag), "finality" ("confirmations" or the tag), "expected_finality_seconds" (null
// for a depth or an unknown chain), "seen_at"}: the object GET /balance/topup/{id} and the
// topup.* webhooks show as "confirming".
void WriteTopupConfirmingJson(JsonWriter& json, const TopupConfirming& c);

// The status a client is shown: "confirming" for a pending intent with a sighting, "expired"
// for a pending one past its expiry (a deposit may still credit it during the grace period),
// else the stored status.
std::string TopupVisibleStatus(const std::string& stored_status, bool confirming, bool past_expiry);

}  // namespace instamarket
