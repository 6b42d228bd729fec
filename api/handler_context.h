#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_message.h"
#include "config/config.h"
#include "core/result.h"
#include "ledger/database.h"
#include "ledger/pipelined_read.h"

namespace instamarket {

class UsageRecorder;

// The public key of a wallet, as hex, from the chain (TON wallets' get_public_key get-method):
// (network id, address) -> key. Blocking. kUnavailable when the chain cannot be asked.
using WalletKeyLookup =
    std::function<Result<std::string>(const std::string& network, const std::string& address)>;

// What a route handler may use. Handlers are plain functions from this to a response; they
// run on the blocking pool (or inline, for routes that touch no database).
struct HandlerContext {
  const HttpRequest& request;
  const std::vector<std::string>& path_params;  // values of the route's {placeholders}
  const ApiKeyRecord* key;                      // the caller; null on admin routes
  Database& db;
  const Config& config;
  const UsageRecorder& usage;
  std::int64_t now_seconds;                             // unix time of the request
  const std::function<void()>* order_placed = nullptr;  // wakes the fulfilment worker
  std::string_view admin_actor = {};  // on admin routes: "admin:<token name>", for the audit log
  const WalletKeyLookup* wallet_public_key = nullptr;  // TON claims; null: not available here
};

using Handler = HttpResponse (*)(const HandlerContext&);

// A route that can also be served as one read on a pipelined connection: `plan` names the
// read, `finish` turns its rows (or its error) into the same response the Handler gives.
struct PipelinedHandler {
  PipelinedRead (*plan)(const HandlerContext&);
  HttpResponse (*finish)(const HandlerContext&, Result<std::vector<TextRow>>);
};

}  // namespace instamarket
