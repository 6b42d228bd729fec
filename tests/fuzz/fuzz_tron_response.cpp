// A TronGrid reply's bytes as the adapter reads them: JSON (as HttpEndpoints parses it), the
// rate-limit text of a refused request, then one page of TRC-20 transfers.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "adapters/http_endpoints.h"
#include "adapters/tron_adapter.h"

namespace instamarket {
namespace {

NetworkConfig Network() {
  NetworkConfig n;
  n.id = "usdt_trc_20";
  n.kind = "tron";
  n.token = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
  n.address = "TM1zzNDZD2DPASbKcgdVoTYhfmYgtfwx9D";  // a receiver in the recorded page
  n.decimals = 6;
  return n;
}

int FuzzOne(const std::uint8_t* data, std::size_t size) {
  static const NetworkConfig network = Network();
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)SuspensionSeconds(text);
  nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  auto page = ParseTronPage(body, network);
  if (!page) return 0;
  for (const auto& record : page->records) {
    if (record.transfer) (void)ToMicros(record.transfer->amount);
  }
  return 0;
}

}  // namespace
}  // namespace instamarket

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return instamarket::FuzzOne(data, size);
}
