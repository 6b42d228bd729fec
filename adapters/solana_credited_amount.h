#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.h"

namespace instamarket {

// How many base units of `mint` a successful getTransaction result (jsonParsed) added to our
// token account `token_account` (accountIndex `index`). A token balance missing from the meta is
// unknown, never zero:
// - pre and post entries both listed: post - pre;
// - only post listed and the account was created in this transaction (an spl-token
//   initializeAccount/2/3 of it, or an associated-token-account `create` of it): post;
// - only post listed for an account that existed: the sum of the parsed spl-token transfer and
//   transferChecked instructions into it (inner ones included), when those are the only token
//   instructions that touch it and the sum fits in its post balance;
// - anything else that names our account in a token instruction: not decidable.
// nullopt: no increase of `mint` (another mint, a decrease, the account not in the balances).
// kUnavailable: the answer does not tell how much came in (a node that dropped balances, an
// amount that is not a number); retry, or ask another node.
Result<std::optional<std::uint64_t>> SolanaCreditedAmount(const nlohmann::json& transaction,
                                                          std::size_t index,
                                                          const std::string& token_account,
                                                          const std::string& mint);

}  // namespace instamarket
