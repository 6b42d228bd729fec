#include "adapters/json_rpc_client.h"

#include "adapters/json_field.h"
#include "adapters/rpc_error_kind.h"
#include "core/printable_text.h"

namespace instamarket {

Result<nlohmann::json> RpcResult(nlohmann::json reply, bool range_limits, bool null_is_missing) {
  if (!reply.is_object()) return MakeError(ErrorCode::kUnavailable, "a reply that is not JSON-RPC");
  if (const auto& error = JsonField(reply, "error"); !error.is_null()) {
    const auto& code = JsonField(error, "code");
    const auto& text = JsonField(error, "message");
    int rpc_code = code.is_number_integer() && code.get<std::int64_t>() >= INT32_MIN &&
                           code.get<std::int64_t>() <= INT32_MAX
                       ? static_cast<int>(code.get<std::int64_t>())
                       : 0;
    // Bounded and printable: it reaches the logs on every retry. Never dump() what a node sent
    // (a deeply nested value would recurse).
    std::string message = text.is_string() ? PrintableUtf8(text.get_ref<const std::string&>(), 300)
                                           : std::string("(no message)");
    switch (ClassifyRpcError(rpc_code, message)) {
      case RpcErrorKind::kRangeTooLarge:
        if (range_limits) return MakeError(ErrorCode::kResourceExhausted, "rpc limit: " + message);
        break;
      case RpcErrorKind::kRateLimited:
        // kUnavailable: HttpEndpoints benches this endpoint (for the hint in `message`, if
        // any) and asks the next one; the range stays as it is.
        return MakeError(ErrorCode::kUnavailable,
                         "rate limited (rpc error " + std::to_string(rpc_code) + "): " + message);
      case RpcErrorKind::kOther:
        break;
    }
    // Any other node error may be that node's problem: let another endpoint try.
    return MakeError(ErrorCode::kUnavailable,
                     "rpc error " + std::to_string(rpc_code) + ": " + message);
  }
  if (!reply.contains("result"))
    return MakeError(ErrorCode::kUnavailable, "a reply without result");
  if (null_is_missing && reply["result"].is_null())
    return MakeError(ErrorCode::kUnavailable, "the node has no answer yet (null)");
  return std::move(reply["result"]);
}

bool IsRangeLimitError(int code, const std::string& message) {
  return ClassifyRpcError(code, message) == RpcErrorKind::kRangeTooLarge;
}

JsonRpcClient::JsonRpcClient(std::string network, std::vector<std::string> urls,
                             std::chrono::milliseconds timeout, bool range_limits)
    : endpoints_(std::move(network), std::move(urls), timeout), range_limits_(range_limits) {}

Result<nlohmann::json> JsonRpcClient::Call(const std::string& method, const nlohmann::json& params,
                                           bool null_is_missing) {
  nlohmann::json request = {
      {"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}};
  // "Too large" is a getLogs range's to shrink; from any other call (a node's "request timed
  // out") it is that node's failure, so the next endpoint is asked.
  const bool range_limits = range_limits_ && method == "eth_getLogs";
  return endpoints_.Post(request.dump(), [range_limits, null_is_missing](nlohmann::json reply) {
    return RpcResult(std::move(reply), range_limits, null_is_missing);
  });
}

Result<std::vector<nlohmann::json>> JsonRpcClient::CallBatch(const std::vector<Request>& calls,
                                                             const Check& check,
                                                             bool range_limits) {
  nlohmann::json batch = nlohmann::json::array();
  const std::int64_t first_id = next_id_;
  for (const auto& [method, params] : calls) {
    batch.push_back(
        {{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}});
  }
  auto answered =
      endpoints_.Post(batch.dump(), [&](nlohmann::json reply) -> Result<nlohmann::json> {
        // Answers may come in any order (JSON-RPC 2.0 §6): matched by id, each exactly once.
        if (!reply.is_array())
          return MakeError(ErrorCode::kUnavailable, "a batch answered by a non-list");
        std::vector<nlohmann::json> replies(calls.size());
        for (auto& item : reply) {
          const auto& id = JsonField(item, "id");
          if (!id.is_number_integer())
            return MakeError(ErrorCode::kUnavailable, "a batch answer without id");
          std::int64_t slot = id.get<std::int64_t>() - first_id;
          if (slot < 0 || slot >= static_cast<std::int64_t>(calls.size()) ||
              !replies[slot].is_null()) {
            return MakeError(ErrorCode::kUnavailable, "a batch answer with an id not asked");
          }
          replies[slot] = std::move(item);
        }
        std::vector<nlohmann::json> results;
        std::optional<Error> too_large;
        for (std::size_t i = 0; i < replies.size(); ++i) {
          auto& r = replies[i];
          if (r.is_null())
            return MakeError(ErrorCode::kUnavailable, "a batch with an answer missing");
          auto result =
              RpcResult(std::move(r),
                        range_limits && range_limits_ && calls[i].first == "eth_getLogs", false);
          if (!result) {
            if (result.error().code != ErrorCode::kResourceExhausted) return result.error();
            too_large = result.error();
            continue;
          }
          results.push_back(std::move(*result));
        }
        if (too_large) return *too_large;
        if (auto checked = check(results); !checked) return checked.error();
        return nlohmann::json(std::move(results));
      });
  if (!answered) return answered.error();
  // Moved out, not copied: a copy of a node's answer recurses as deep as it nests.
  return std::move(answered->get_ref<nlohmann::json::array_t&>());
}

}  // namespace instamarket
