// A toncenter v3 reply's bytes as the adapter reads them: JSON (as HttpEndpoints parses it),
// then one page of jetton transfers (addresses, amounts, the BOC of each text comment).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "adapters/ton_adapter.h"
#include "adapters/ton_comment.h"

namespace instamarket {
namespace {

NetworkConfig Network() {
  NetworkConfig n;
  n.id = "usdt_ton";
  n.kind = "ton";
  n.token = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe";
  n.address = "0:169c9367c01c8b4e1471962db32e99e3e4473aafb47e1a6a643a4177a6758f16";
  n.decimals = 6;
  return n;
}

int FuzzOne(const std::uint8_t* data, std::size_t size) {
  static const NetworkConfig network = Network();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // A comment cell alone, so the BOC decoder is reached without a whole page around it.
  (void)TonTextComment(text);
  nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  auto records = ParseTonTransfers(body, network);
  if (!records) return 0;
  for (const auto& record : *records) {
    if (record.transfer) (void)ToMicros(record.transfer->amount);
  }
  return 0;
}

}  // namespace
}  // namespace instamarket

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return instamarket::FuzzOne(data, size);
}
