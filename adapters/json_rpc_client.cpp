#include "adapters/json_rpc_client.h"

#include <algorithm>
#include <cctype>

#include "adapters/json_field.h"

namespace instamarket {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<nlohmann::json> RpcResult(nlohmann::json reply, bool range_limits, bool null_is_missing) {
  if (!reply.is_object()) return MakeError(ErrorCode::kUnavailable, "a reply that is not JSON-RPC");
  if (const auto& error = JsonField(reply, "error"); !error.is_null()) {
    const auto& code = JsonField(error, "code");
    const auto& text = JsonField(error, "message");
    int rpc_code = code.is_number_integer() ? code.get<int>() : 0;
    std::string message = text.is_string() ? text.get<std::string>() : error.dump();
    if (range_limits && IsRangeLimitError(rpc_code, message)) {
      return MakeError(ErrorCode::kResourceExhausted, "rpc limit: " + message);
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
  std::string m = Lower(message);
  for (const char* hint :
       {"range", "too many", "more than", "limit", "exceed", "too large", "timeout", "timed out"}) {
    if (m.find(hint) != std::string::npos) return true;
  }
  return code == -32005;
}

JsonRpcClient::JsonRpcClient(std::string network, std::vector<std::string> urls,
                             std::chrono::milliseconds timeout, bool range_limits)
    : endpoints_(std::move(network), std::move(urls), timeout), range_limits_(range_limits) {}

Result<nlohmann::json> JsonRpcClient::Call(const std::string& method, const nlohmann::json& params,
                                           bool null_is_missing) {
  nlohmann::json request = {
      {"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}};
  return endpoints_.Post(request.dump(), [this, null_is_missing](nlohmann::json reply) {
    return RpcResult(std::move(reply), range_limits_, null_is_missing);
  });
}

}  // namespace instamarket
