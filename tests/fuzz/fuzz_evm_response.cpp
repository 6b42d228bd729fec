// An EVM node's reply bytes as the adapter reads them: JSON (as HttpEndpoints parses it), the
// JSON-RPC envelope, then eth_blockNumber / eth_getBlockByNumber quantities and eth_getLogs
// entries, and the conversion of each Transfer found to micro-USDT (18 decimals, as on BSC).
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

#include "adapters/evm_adapter.h"
#include "adapters/json_field.h"
#include "adapters/json_rpc_client.h"

namespace instamarket {
namespace {

NetworkConfig Network() {
  NetworkConfig n;
  n.id = "usdt_bep_20";
  n.kind = "evm";
  n.token = "0x55d398326f99059ff775485246999027b3197955";
  n.address = "0x8894e0a0c962cb723c1976a4421c95949be2d4e3";
  n.decimals = 18;
  return n;
}

int FuzzOne(const std::uint8_t* data, std::size_t size) {
  static const NetworkConfig network = Network();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json reply = nlohmann::json::parse(text, nullptr, false);
  if (reply.is_discarded()) return 0;
  auto result = RpcResult(std::move(reply), true, false);
  if (!result) return 0;
  (void)ParseEvmQuantity(*result, "eth_blockNumber");
  if (result->is_object()) {
    (void)ParseEvmQuantity(JsonField(*result, "number"), "block number");
    (void)ParseEvmQuantity(JsonField(*result, "timestamp"), "block timestamp");
  }
  if (!result->is_array()) return 0;
  for (const auto& log : *result) {
    auto transfer = ParseEvmTransferLog(log, network, 0, std::numeric_limits<std::int64_t>::max());
    if (!transfer || !*transfer) continue;
    (void)ToMicros((*transfer)->amount);
  }
  return 0;
}

}  // namespace
}  // namespace instamarket

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return instamarket::FuzzOne(data, size);
}
