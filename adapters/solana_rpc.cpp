#include "adapters/solana_rpc.h"

#include <cstdint>

#include "adapters/json_field.h"
#include "adapters/json_rpc_client.h"

namespace instamarket {

SolanaRpc::SolanaRpc(std::string network, std::vector<std::string> urls,
                     std::chrono::milliseconds timeout)
    : endpoints_(std::move(network), std::move(urls), timeout) {}

Result<nlohmann::json> SolanaRpc::Call(const std::string& method, const nlohmann::json& params,
                                       bool null_is_missing, const Refuse& refuse) {
  nlohmann::json request = {
      {"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}};
  return endpoints_.Post(request.dump(), [&](nlohmann::json reply) -> Result<nlohmann::json> {
    // Solana's node errors are that node's (behind, pruned, rate-limited): never a range limit.
    auto result = RpcResult(std::move(reply), false, null_is_missing);
    if (!result) return result;
    if (refuse) {
      if (auto why = refuse(*result))
        return MakeError(ErrorCode::kUnavailable, method + ": " + *why);
    }
    return result;
  });
}

Result<std::vector<nlohmann::json>> SolanaRpc::Batch(
    const std::vector<std::pair<std::string, nlohmann::json>>& calls,
    const std::function<std::optional<std::string>(const std::vector<nlohmann::json>&)>& refuse) {
  nlohmann::json request = nlohmann::json::array();
  const std::int64_t first_id = next_id_;
  for (const auto& [method, params] : calls) {
    request.push_back(
        {{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}});
  }
  std::vector<nlohmann::json> results;
  auto answered =
      endpoints_.Post(request.dump(), [&](nlohmann::json reply) -> Result<nlohmann::json> {
        auto read = ReadBatchReply(std::move(reply), first_id, calls.size());
        if (!read) return read.error();
        if (auto why = refuse(*read)) return MakeError(ErrorCode::kUnavailable, *why);
        results = std::move(*read);
        return nlohmann::json();
      });
  if (!answered) return answered.error();
  return results;
}

Result<std::vector<nlohmann::json>> ReadBatchReply(nlohmann::json reply, std::int64_t first_id,
                                                   std::size_t calls) {
  if (!reply.is_array()) {
    auto error = RpcResult(std::move(reply), false, false);  // an error object for the batch
    if (!error) return error.error();
    return MakeError(ErrorCode::kUnavailable, "a batch answered with one result");
  }
  std::vector<nlohmann::json> results(calls);
  std::vector<bool> seen(calls, false);
  for (auto& one : reply) {
    const auto& id = JsonField(one, "id");
    if (!id.is_number_integer())
      return MakeError(ErrorCode::kUnavailable, "a batch answer without id");
    // The range is checked before subtracting: a hostile id (INT64_MIN) must not overflow.
    const std::int64_t answered = id.get<std::int64_t>();
    // Unsigned: exact for answered >= first_id, whatever the two are.
    const std::uint64_t k =
        static_cast<std::uint64_t>(answered) - static_cast<std::uint64_t>(first_id);
    if (answered < first_id || k >= calls || seen[static_cast<std::size_t>(k)])
      return MakeError(ErrorCode::kUnavailable, "a batch answer to no call of the batch");
    auto result = RpcResult(std::move(one), false, false);
    if (!result) return result.error();
    seen[static_cast<std::size_t>(k)] = true;
    results[static_cast<std::size_t>(k)] = std::move(*result);
  }
  for (bool s : seen) {
    if (!s) return MakeError(ErrorCode::kUnavailable, "a batch answer missing a call");
  }
  return results;
}

}  // namespace instamarket
