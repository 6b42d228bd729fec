#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"

namespace instamarket {

// The jetton master's get_wallet_address(owner) get-method, through toncenter's
// POST /api/v3/runGetMethod: which jetton wallet the master derives for an owner. A transfer
// counts as a transfer of the master's jetton only when its sending jetton wallet is the one
// the master derives for its sender (a wallet of another master is a fake jetton, whatever the
// indexer says its master is).

// The request's stack argument: `raw_address` ("0:hex") as a slice holding a MsgAddressInt
// (addr_std, no anycast), as a base64 one-cell bag of cells.
std::string TonAddressSliceBoc(const std::string& raw_address);

// The jetton wallet in toncenter's answer ({"exit_code": 0, "stack": [{"type": "cell" or
// "slice", "value": base64 bag of cells}]}), in raw form. kFailedPrecondition when the
// get-method failed (not a jetton master); kUnavailable when the answer is not such a reply
// (no exit code, no cell, not an addr_std).
Result<std::string> ParseTonWalletAddress(const nlohmann::json& body);

}  // namespace instamarket
