#include "adapters/solana_credited_amount.h"

#include <charconv>
#include <functional>
#include <limits>

#include "adapters/json_field.h"

namespace instamarket {
namespace {

constexpr char kTokenProgram[] = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
constexpr char kToken2022Program[] = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";

Error Undecidable(const std::string& why) {
  return MakeError(ErrorCode::kUnavailable, "Solana transaction amount unknown: " + why);
}

std::optional<std::uint64_t> ParseUnits(const nlohmann::json& text) {
  if (!text.is_string()) return std::nullopt;
  const std::string& s = text.get_ref<const std::string&>();
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The entry of `balances` (pre- or postTokenBalances) for accountIndex `index`, or null.
const nlohmann::json& EntryFor(const nlohmann::json& balances, std::size_t index) {
  static const nlohmann::json kNone;
  if (!balances.is_array()) return kNone;
  for (const auto& b : balances) {
    const auto& i = JsonField(b, "accountIndex");
    if (i.is_number_unsigned() && i.get<std::uint64_t>() == index) return b;
  }
  return kNone;
}

// Every instruction of the transaction, top-level then inner.
void ForEachInstruction(const nlohmann::json& transaction,
                        const std::function<void(const nlohmann::json&)>& visit) {
  const auto& message = JsonField(JsonField(transaction, "transaction"), "message");
  for (const auto& ins : JsonField(message, "instructions")) visit(ins);
  for (const auto& inner : JsonField(JsonField(transaction, "meta"), "innerInstructions")) {
    for (const auto& ins : JsonField(inner, "instructions")) visit(ins);
  }
}

bool IsTokenProgram(const nlohmann::json& ins) {
  const auto& id = JsonField(ins, "programId");
  return JsonField(ins, "program") == "spl-token" || id == kTokenProgram || id == kToken2022Program;
}

// True when the parsed instruction's info names `account` in any field.
bool Names(const nlohmann::json& info, const std::string& account) {
  if (!info.is_object()) return false;
  for (const auto& [key, value] : info.items()) {
    if (value.is_string() && value.get_ref<const std::string&>() == account) return true;
  }
  return false;
}

bool CreatedHere(const nlohmann::json& transaction, const std::string& account) {
  bool created = false;
  ForEachInstruction(transaction, [&](const nlohmann::json& ins) {
    const auto& parsed = JsonField(ins, "parsed");
    const auto& type = JsonField(parsed, "type");
    const auto& info = JsonField(parsed, "info");
    if (JsonField(info, "account") != account) return;
    // createIdempotent is not enough: on an account that exists it does nothing (a new one
    // shows its initializeAccount3 as an inner instruction).
    if ((IsTokenProgram(ins) && (type == "initializeAccount" || type == "initializeAccount2" ||
                                 type == "initializeAccount3")) ||
        (JsonField(ins, "program") == "spl-associated-token-account" && type == "create"))
      created = true;
  });
  return created;
}

// The sum of the transfers into `account`, when they are all that touches it.
Result<std::uint64_t> IncomingTransfers(const nlohmann::json& transaction,
                                        const std::string& account, const std::string& mint) {
  std::uint64_t sum = 0;
  std::optional<Error> refused;
  ForEachInstruction(transaction, [&](const nlohmann::json& ins) {
    if (refused || !IsTokenProgram(ins)) return;
    const auto& parsed = JsonField(ins, "parsed");
    if (!parsed.is_object()) {
      // A token instruction the node could not parse: if it lists our account, it may move
      // our tokens in a way we cannot read.
      for (const auto& a : JsonField(ins, "accounts")) {
        if (a == account) refused = Undecidable("an unparsed token instruction on our account");
      }
      return;
    }
    const auto& info = JsonField(parsed, "info");
    if (!Names(info, account)) return;
    const auto& type = JsonField(parsed, "type");
    std::optional<std::uint64_t> amount;
    if (type == "transfer") {
      amount = ParseUnits(JsonField(info, "amount"));
    } else if (type == "transferChecked") {
      if (JsonField(info, "mint") != mint) {
        refused = Undecidable("a transferChecked of another mint on our account");
        return;
      }
      amount = ParseUnits(JsonField(JsonField(info, "tokenAmount"), "amount"));
    } else {
      refused = Undecidable("a token instruction " + type.dump() + " on our account");
      return;
    }
    if (JsonField(info, "destination") != account || JsonField(info, "source") == account) {
      refused = Undecidable("a transfer out of our account");
      return;
    }
    if (!amount || *amount > std::numeric_limits<std::uint64_t>::max() - sum) {
      refused = Undecidable("a transfer amount that is not a number");
      return;
    }
    sum += *amount;
  });
  if (refused) return *refused;
  return sum;
}

}  // namespace

Result<std::optional<std::uint64_t>> SolanaCreditedAmount(const nlohmann::json& transaction,
                                                          std::size_t index,
                                                          const std::string& token_account,
                                                          const std::string& mint) {
  const auto& meta = JsonField(transaction, "meta");
  const auto& pre = EntryFor(JsonField(meta, "preTokenBalances"), index);
  const auto& post = EntryFor(JsonField(meta, "postTokenBalances"), index);
  for (const auto* entry : {&pre, &post}) {
    if (!entry->is_null() && JsonField(*entry, "mint") != mint)
      return std::optional<std::uint64_t>{};  // our address holds another mint
  }
  std::optional<std::uint64_t> pre_units, post_units;
  if (!pre.is_null() &&
      !(pre_units = ParseUnits(JsonField(JsonField(pre, "uiTokenAmount"), "amount"))))
    return Undecidable("a pre token balance that is not a number");
  if (!post.is_null() &&
      !(post_units = ParseUnits(JsonField(JsonField(post, "uiTokenAmount"), "amount"))))
    return Undecidable("a post token balance that is not a number");

  if (pre_units && post_units) {
    if (*post_units <= *pre_units) return std::optional<std::uint64_t>{};
    return std::optional<std::uint64_t>{*post_units - *pre_units};
  }
  if (!post_units) {
    // Closed in this transaction (a closed account held nothing), or no token account at all:
    // nothing came in, unless a transfer into it says the node dropped its balances.
    auto incoming = IncomingTransfers(transaction, token_account, mint);
    if (!incoming || *incoming > 0)
      return Undecidable("a transfer into our account without its token balances");
    return std::optional<std::uint64_t>{};
  }
  if (CreatedHere(transaction, token_account)) {
    if (*post_units == 0) return std::optional<std::uint64_t>{};
    return std::optional<std::uint64_t>{*post_units};
  }
  auto incoming = IncomingTransfers(transaction, token_account, mint);
  if (!incoming) return incoming.error();
  if (*incoming > *post_units)
    return Undecidable("transfers into our account exceed its post balance");
  if (*incoming == 0) {
    if (*post_units == 0) return std::optional<std::uint64_t>{};
    return Undecidable("no pre token balance and no readable transfer into our account");
  }
  return std::optional<std::uint64_t>{*incoming};
}

}  // namespace instamarket
