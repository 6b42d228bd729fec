#include "ledger/topup_progress.h"

namespace instamarket {
namespace {

bool IsEthereumL1(std::int64_t chain_id) {
  // Mainnet and the public test networks that run Ethereum's consensus (Sepolia, Holesky,
  // Hoodi).
  return chain_id == 1 || chain_id == 11155111 || chain_id == 17000 || chain_id == 560048;
}

}  // namespace

NetworkFinality FinalityOf(const NetworkConfig& network) {
  NetworkFinality f;
  if (network.kind == "ton") return f;  // indexed blocks are final: nothing is ever confirming
  if (network.finality.empty()) {
    f.confirmations_needed = network.confirmations;
    return f;
  }
  f.tag = network.finality;
  // Rough figures from each chain's consensus, from inclusion to the tag covering the block:
  // Ethereum finalizes a checkpoint two epochs (2 x 32 slots x 12 s) after it, about 15
  // minutes after a transaction on average, and justifies ("safe") about one epoch earlier;
  // Tron solidifies a block once 19 of the 27 super representatives built on it (3 s blocks);
  // Solana finalizes a slot after 32 more (400 ms slots).
  if (network.kind == "evm" && IsEthereumL1(network.chain_id)) {
    f.expected_seconds = f.tag == "safe" ? 600 : 900;
  } else if (network.kind == "tron") {
    f.expected_seconds = 57;
  } else if (network.kind == "solana") {
    f.expected_seconds = 13;
  }
  return f;
}

void WriteTopupConfirmingJson(JsonWriter& json, const TopupConfirming& c) {
  json.BeginObject()
      .Field("tx_id", c.tx_id)
      .Field("block_number", c.block_number)
      .Field("amount_usdt", c.amount)
      .Field("confirmations", c.confirmations());
  json.Key("confirmations_needed");
  if (c.finality.tag.empty())
    json.Int(c.finality.confirmations_needed);
  else
    json.Null();
  json.Field("finality", c.finality.tag.empty() ? std::string("confirmations") : c.finality.tag);
  json.Key("expected_finality_seconds");
  if (c.finality.expected_seconds)
    json.Int(*c.finality.expected_seconds);
  else
    json.Null();
  json.Field("seen_at", c.since).EndObject();
}

std::string TopupVisibleStatus(const std::string& stored_status, bool confirming,
                               bool past_expiry) {
  if (stored_status != "pending") return stored_status;
  if (confirming) return "confirming";
  return past_expiry ? "expired" : "pending";
}

}  // namespace instamarket
