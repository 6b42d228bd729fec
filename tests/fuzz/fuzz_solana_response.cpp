// A Solana RPC reply's bytes as the adapter reads them: JSON (as HttpEndpoints parses it), the
// JSON-RPC envelope (null means "not yet"), then a getTransaction (jsonParsed) result.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "adapters/json_rpc_client.h"
#include "adapters/solana_adapter.h"

namespace instamarket {
namespace {

// The accounts of the recorded transaction (tests/fixtures/chains).
constexpr char kUsdc[] = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
constexpr char kOurAccount[] = "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh";

NetworkConfig Network() {
  NetworkConfig n;
  n.id = "usdt_solana";
  n.kind = "solana";
  n.token = kUsdc;
  n.address = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui";
  n.decimals = 6;
  return n;
}

int FuzzOne(const std::uint8_t* data, std::size_t size) {
  static const NetworkConfig network = Network();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json reply = nlohmann::json::parse(text, nullptr, false);
  if (reply.is_discarded()) return 0;
  auto result = RpcResult(std::move(reply), false, true);
  if (!result) return 0;
  auto transfer = ParseSolanaTransaction(*result, "fuzz-signature", kOurAccount, network);
  if (transfer && *transfer) (void)ToMicros((*transfer)->amount);
  return 0;
}

}  // namespace
}  // namespace instamarket

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return instamarket::FuzzOne(data, size);
}
