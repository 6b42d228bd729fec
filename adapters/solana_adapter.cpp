#include "adapters/solana_adapter.h"

#include <charconv>
#include <deque>
#include <vector>

#include "adapters/json_field.h"
#include "adapters/solana_credited_amount.h"
#include "adapters/solana_rpc.h"
#include "core/solana_address.h"

namespace instamarket {
namespace {

constexpr int kMaxSignaturesPerPage = 1000;  // the RPC's maximum
constexpr std::size_t kTransactionsPerPoll = 100;
// One listing reads at most this many pages (10 million signatures at the default page size):
// a node that never stops paging is refused, and a backfill deeper than that needs a later
// `start`.
constexpr int kMaxListingPages = 10'000;

Error Garbage(const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, "unexpected Solana RPC reply: " + what);
}

struct Signature {
  std::string signature;
  std::int64_t slot = 0;
  bool failed = false;
};

// A token balance (base units) of account `index` for `mint` in pre/postTokenBalances; 0 when the
// account has none (not yet created). nullopt when the account holds another mint.
std::optional<std::uint64_t> TokenBalance(const nlohmann::json& balances, std::size_t index,
                                          const std::string& mint, std::string* owner) {
  if (!balances.is_array()) return 0;
  for (const auto& b : balances) {
    if (!b.is_object() || !JsonField(b, "accountIndex").is_number_integer() ||
        JsonField(b, "accountIndex").get<std::size_t>() != index)
      continue;
    if (!JsonField(b, "mint").is_string() || JsonField(b, "mint") != mint) return std::nullopt;
    if (owner && JsonField(b, "owner").is_string())
      *owner = JsonField(b, "owner").get<std::string>();
    const auto& amount = JsonField(JsonField(b, "uiTokenAmount"), "amount");
    if (!amount.is_string()) return std::nullopt;
    const std::string& s = amount.get_ref<const std::string&>();
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
  }
  return 0;
}

std::string KeyOf(const nlohmann::json& key) {
  if (key.is_string()) return key.get<std::string>();
  if (key.is_object() && JsonField(key, "pubkey").is_string())
    return JsonField(key, "pubkey").get<std::string>();
  return "";
}

// The account keys of a transaction in accountIndex order: the static keys, then the loaded
// (v0 lookup-table) writable and readonly addresses.
std::vector<std::string> AccountKeys(const nlohmann::json& keys, const nlohmann::json& meta) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(KeyOf(k));
  if (JsonField(meta, "loadedAddresses").is_object()) {
    for (const char* part : {"writable", "readonly"}) {
      for (const auto& k : JsonField(JsonField(meta, "loadedAddresses"), part))
        out.push_back(KeyOf(k));
    }
  }
  return out;
}

// The owner that `balances` (pre- or postTokenBalances) names for the token account at `index`,
// or "".
std::string OwnerIn(const nlohmann::json& balances, std::size_t index) {
  if (!balances.is_array()) return "";
  for (const auto& b : balances) {
    if (b.is_object() && JsonField(b, "accountIndex").is_number_integer() &&
        JsonField(b, "accountIndex").get<std::size_t>() == index &&
        JsonField(b, "owner").is_string() && !JsonField(b, "owner").get<std::string>().empty())
      return JsonField(b, "owner").get<std::string>();
  }
  return "";
}

// The owner of the token account at `index` when the transaction began: preTokenBalances' owner,
// or "" if there is none or postTokenBalances names another owner. postTokenBalances alone is
// never trusted: an account created in the same transaction has no pre entry, and its post owner
// is whatever a SetAuthority at the end of the transaction made it (anyone's wallet).
std::string TokenAccountOwner(const nlohmann::json& meta, std::size_t index) {
  std::string pre = OwnerIn(JsonField(meta, "preTokenBalances"), index);
  if (pre.empty()) return "";
  std::string post = OwnerIn(JsonField(meta, "postTokenBalances"), index);
  if (!post.empty() && post != pre) return "";
  return pre;
}

// Who sent a transfer into our account (index `ours`): the owner of its source token account
// (`source`, from the transfer instruction) as preTokenBalances name it (TokenAccountOwner:
// not when only postTokenBalances name one, nor when the owner changed within the transaction);
// without one, the instruction's authority (the signer: the owner itself, unless a delegate
// signed), then the source account itself. Without a parsed transfer instruction (a program
// moved the tokens): the owner (by the same rule) of the one other account of the mint whose
// balance went down, if there is exactly one. Else "unknown".
std::string SenderOf(const nlohmann::json& meta, const nlohmann::json& static_keys,
                     const std::string& source, const std::string& authority, std::size_t ours,
                     const std::string& mint) {
  std::vector<std::string> keys = AccountKeys(static_keys, meta);
  if (!source.empty()) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] != source) continue;
      if (auto owner = TokenAccountOwner(meta, i); !owner.empty()) return owner;
    }
  }
  if (!authority.empty()) return authority;
  if (!source.empty()) return source;
  std::string only;
  int decreased = 0;
  const auto& pre = JsonField(meta, "preTokenBalances");
  if (pre.is_array()) {
    for (const auto& b : pre) {
      if (!b.is_object() || !JsonField(b, "accountIndex").is_number_integer()) continue;
      std::size_t i = JsonField(b, "accountIndex").get<std::size_t>();
      if (i == ours) continue;
      auto before = TokenBalance(pre, i, mint, nullptr);
      auto after = TokenBalance(JsonField(meta, "postTokenBalances"), i, mint, nullptr);
      if (!before || !after || *after >= *before) continue;
      ++decreased;
      only = TokenAccountOwner(meta, i);
    }
  }
  if (decreased == 1 && !only.empty()) return only;
  return "unknown";
}

class SolanaAdapter final : public ChainAdapter {
 public:
  SolanaAdapter(const NetworkConfig& network, std::string token_account)
      : network_(network),
        token_account_(std::move(token_account)),
        page_limit_(network.page_size > 0 ? network.page_size : kMaxSignaturesPerPage),
        rpc_(network.id, network.rpc, std::chrono::milliseconds(network.rpc_timeout_ms)) {}

  Result<ChainCursor> InitialCursor() override {
    if (IsSolanaSignature(network_.start)) {
      // A node that does not know it (history cut off, behind) is refused: the next is asked.
      auto statuses = rpc_.Call(
          "getSignatureStatuses",
          {nlohmann::json::array({network_.start}), {{"searchTransactionHistory", true}}}, false,
          [&](const nlohmann::json& r) -> std::optional<std::string> {
            const auto& value = JsonField(r, "value");
            if (!value.is_array() || value.empty() || !value[0].is_object() ||
                !JsonField(value[0], "slot").is_number_integer())
              return "start signature " + network_.start + " is not known to the node (yet)";
            return std::nullopt;
          });
      if (!statuses) return statuses.error();
      return ChainCursor{JsonField(JsonField(*statuses, "value")[0], "slot").get<std::int64_t>(),
                         network_.start};
    }
    if (network_.start != "latest") return ChainCursor{std::stoll(network_.start)};
    auto newest = SignaturesPage("", "", 1, 0);
    if (!newest) return newest.error();
    if (newest->empty()) return ChainCursor{0};
    return ChainCursor{newest->front().slot, newest->front().signature};
  }

  Result<ChainBatch> Poll(const ChainCursor& from) override {
    auto head = rpc_.Call("getSlot", {{{"commitment", "finalized"}}});
    if (!head) return head.error();
    if (!head->is_number_integer()) return Garbage("getSlot is not a number");
    // Signatures listed before and not yet taken are used first; otherwise the list is asked
    // for anew (always once caught up: that is how new transfers are found).
    if (pending_.empty() || !pending_from_ || !(*pending_from_ == from)) {
      auto listed = ListNewer(from);
      if (!listed) return listed.error();
      pending_ = std::move(*listed);
    }
    ChainBatch batch;
    batch.next = from;
    std::size_t used = 0, fetched = 0;
    for (; used < pending_.size() && fetched < kTransactionsPerPoll; ++used) {
      const Signature& s = pending_[used];
      if (!s.failed) {  // a failed transaction moves no tokens: no need to fetch it
        auto transfer = Fetch(s);
        if (!transfer) {
          pending_from_.reset();  // list again on the retry
          return transfer.error();
        }
        if (*transfer) batch.final_transfers.push_back(std::move(**transfer));
        ++fetched;
      }
      batch.next = ChainCursor{s.slot, s.signature};
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
    pending_from_ = batch.next;
    batch.reached_final_head = pending_.empty();
    batch.head = head->get<std::int64_t>();
    // Positions are slots; a caught-up account shows no lag whatever the slot of its last transfer.
    batch.final_height = batch.reached_final_head ? batch.next.position - 1 : batch.next.position;
    return batch;
  }

 private:
  // `min_slot`: a node that has not reached it answers an error (and the next endpoint is
  // asked) instead of a short list that would read as the end.
  Result<std::vector<Signature>> SignaturesPage(const std::string& before, const std::string& until,
                                                int limit, std::int64_t min_slot) {
    nlohmann::json options = {{"commitment", "finalized"}, {"limit", limit}};
    if (!before.empty()) options["before"] = before;
    if (!until.empty()) options["until"] = until;
    if (min_slot > 0) options["minContextSlot"] = min_slot;
    auto page = rpc_.Call("getSignaturesForAddress", {token_account_, options});
    if (!page) return page.error();
    if (!page->is_array()) return Garbage("getSignaturesForAddress did not return a list");
    std::vector<Signature> out;
    for (const auto& e : *page) {
      const auto& signature = JsonField(e, "signature");
      const auto& slot = JsonField(e, "slot");
      if (!signature.is_string() || !slot.is_number_integer())
        return Garbage("a signature entry without signature or slot");
      out.push_back(Signature{signature.get<std::string>(), slot.get<std::int64_t>(),
                              !JsonField(e, "err").is_null()});
    }
    return out;
  }

  // Every finalized signature newer than the cursor, oldest first: the RPC lists newest first,
  // so pages are followed back (before = the oldest so far) down to the cursor's signature
  // (until) or below the cursor's slot.
  Result<std::deque<Signature>> ListNewer(const ChainCursor& from) {
    std::deque<Signature> out;
    std::string before;
    std::int64_t before_slot = from.position;
    for (int page_number = 0;; ++page_number) {
      if (page_number >= kMaxListingPages)
        return Garbage("more than " + std::to_string(kMaxListingPages) + " pages of signatures");
      auto page = SignaturesPage(before, from.state, page_limit_, before_slot);
      if (!page) return page.error();
      bool below = false;
      for (auto& s : *page) {
        if (s.slot < from.position) {
          below = true;  // older than the cursor (its signature pruned, or a slot as start)
          break;
        }
        if (!out.empty() && s.slot > out.front().slot)
          return Garbage("signatures not listed newest first");
        out.push_front(std::move(s));
      }
      if (below) return out;  // the node's history reaches below the cursor
      if (page->size() < static_cast<std::size_t>(page_limit_)) break;
      if (out.front().signature == before) return Garbage("paging did not move back");
      before = out.front().signature;
      before_slot = out.front().slot;
    }
    // A short page reads as "reached the cursor", but a node whose history is cut off (a short
    // ledger, a fresh snapshot) lists short too, and the cursor would move past what it never
    // had. Proven, or this node is unable and the next is asked.
    auto proven = ProveReached(from, out.empty() ? std::string() : out.front().signature);
    if (!proven) return proven.error();
    return out;
  }

  // That nothing lies between the cursor and `oldest` (the oldest signature listed, or "" when
  // none was), asked of one node in one batch: the signature just before `oldest` is the
  // cursor's own; for a cursor without a signature (a start slot, a new account), there is none
  // at or above the cursor's slot and the node's history (getFirstAvailableBlock) begins at or
  // below that slot. A node that cannot show it is refused and the next endpoint asked; one that
  // shows a signature the listing did not have makes the listing start again (kUnavailable).
  Result<Unit> ProveReached(const ChainCursor& from, const std::string& oldest) {
    nlohmann::json options = {{"commitment", "finalized"}, {"limit", 1}};
    if (!oldest.empty()) options["before"] = oldest;
    const bool by_signature = !from.state.empty();
    auto answers = rpc_.Batch(
        {{"getFirstAvailableBlock", nlohmann::json::array()},
         {"getSignaturesForAddress", {token_account_, options}}},
        [&](const std::vector<nlohmann::json>& r) -> std::optional<std::string> {
          const auto& first = r[0];
          const auto& older = r[1];
          if (!first.is_number_integer() || !older.is_array()) return "not a slot and a list";
          if (!older.empty() && (!JsonField(older[0], "signature").is_string() ||
                                 !JsonField(older[0], "slot").is_number_integer()))
            return "a signature entry without signature or slot";
          bool reaches = by_signature ? !older.empty() &&
                                            JsonField(older[0], "slot").get<std::int64_t>() >=
                                                from.position
                                      : first.get<std::int64_t>() <= from.position;
          if (!reaches)
            return "its history (from slot " + first.dump() + ") does not reach the cursor (slot " +
                   std::to_string(from.position) + (by_signature ? ", " + from.state : "") + ")";
          return std::nullopt;
        });
    if (!answers) return answers.error();
    const auto& older = (*answers)[1];
    bool reached = by_signature ? JsonField(older[0], "signature") == from.state
                                : older.empty() ||
                                      JsonField(older[0], "slot").get<std::int64_t>() < from.position;
    if (!reached)
      return MakeError(ErrorCode::kUnavailable,
                       "a node lists " + JsonField(older[0], "signature").dump() +
                           " between the cursor and the listing: listing again");
    return Unit{};
  }

  Result<std::optional<Transfer>> Fetch(const Signature& s) {
    std::optional<Result<std::optional<Transfer>>> parsed;
    auto tx = rpc_.Call(
        "getTransaction",
        {s.signature,
         {{"encoding", "jsonParsed"}, {"commitment", "finalized"}, {"maxSupportedTransactionVersion", 0}}},
        // Listed as finalized but not served yet (this node behind): another node, or this one
        // later; never skipped.
        /*null_is_missing=*/true,
        // Another transaction than the one asked for, or one whose amount this node's answer
        // does not tell, is this node's fault: ask the next.
        [&](const nlohmann::json& result) -> std::optional<std::string> {
          const auto& signatures = JsonField(JsonField(result, "transaction"), "signatures");
          if (!signatures.is_array() || signatures.empty() || signatures[0] != s.signature)
            return "a transaction other than " + s.signature;
          if (JsonField(result, "slot") != s.slot)
            return s.signature + " at another slot than listed";
          parsed = ParseSolanaTransaction(result, s.signature, token_account_, network_);
          if (!*parsed) return parsed->error().message;
          return std::nullopt;
        });
    if (!tx) return tx.error();
    return std::move(*parsed);
  }

  NetworkConfig network_;
  std::string token_account_;
  int page_limit_;
  SolanaRpc rpc_;
  std::optional<ChainCursor> pending_from_;  // pending_ continues from this cursor
  std::deque<Signature> pending_;
};

}  // namespace

Result<std::optional<Transfer>> ParseSolanaTransaction(const nlohmann::json& result,
                                                       const std::string& signature,
                                                       const std::string& token_account,
                                                       const NetworkConfig& network) {
  if (!result.is_object() || !JsonField(result, "meta").is_object() ||
      !JsonField(result, "transaction").is_object() ||
      !JsonField(result, "slot").is_number_integer())
    return Garbage("not a transaction");
  const auto& meta = JsonField(result, "meta");
  if (meta.contains("err") && !JsonField(meta, "err").is_null()) return std::optional<Transfer>{};
  const auto& message = JsonField(JsonField(result, "transaction"), "message");
  if (!message.is_object() || !JsonField(message, "accountKeys").is_array())
    return Garbage("a transaction without accountKeys (not jsonParsed?)");
  std::optional<std::size_t> index;
  const auto& keys = JsonField(message, "accountKeys");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (KeyOf(keys[i]) == token_account) index = i;
  }
  // Loaded (v0 lookup-table) addresses come after the static keys.
  if (!index && JsonField(meta, "loadedAddresses").is_object()) {
    std::size_t i = keys.size();
    for (const char* part : {"writable", "readonly"}) {
      for (const auto& k : JsonField(JsonField(meta, "loadedAddresses"), part)) {
        if (KeyOf(k) == token_account) index = i;
        ++i;
      }
    }
  }
  if (!index) return std::optional<Transfer>{};
  // Tokens that arrived while the account was someone else's (it changed hands in this
  // transaction, or it is a listed account of another owner) are not ours.
  if (auto owner = OwnerIn(JsonField(meta, "postTokenBalances"), *index);
      !owner.empty() && !network.address.empty() && owner != network.address)
    return std::optional<Transfer>{};
  auto amount = SolanaCreditedAmount(result, *index, token_account, network.token);
  if (!amount) return MakeError(amount.error().code, signature + ": " + amount.error().message);
  if (!*amount) return std::optional<Transfer>{};

  Transfer t;
  t.tx_id = signature;
  t.event_index = 0;
  t.to = token_account;
  t.amount = ChainAmount{std::to_string(**amount), network.decimals};
  t.block_number = JsonField(result, "slot").get<std::int64_t>();
  if (JsonField(result, "blockTime").is_number_integer())
    t.block_time = JsonField(result, "blockTime").get<std::int64_t>();
  // The sender: the wallet that owns the source token account of the first token transfer into
  // our account (top-level or inner), as the token balances name it. The instruction's
  // authority may be a delegate the owner approved, or a program; the owner is who must sign a
  // claim. The memo: an spl-memo instruction's text.
  std::string source, authority;
  bool found = false;
  auto scan = [&](const nlohmann::json& instructions) {
    if (!instructions.is_array()) return;
    for (const auto& ins : instructions) {
      if (!ins.is_object()) continue;
      if (JsonField(ins, "program") == "spl-memo" && JsonField(ins, "parsed").is_string() &&
          t.memo.empty()) {
        t.memo = JsonField(ins, "parsed").get<std::string>();
      }
      const auto& parsed = JsonField(ins, "parsed");
      if (JsonField(ins, "program") != "spl-token" || !parsed.is_object()) continue;
      if (JsonField(parsed, "type") != "transfer" && JsonField(parsed, "type") != "transferChecked")
        continue;
      const auto& info = JsonField(parsed, "info");
      if (!info.is_object() || JsonField(info, "destination") != token_account || found) continue;
      found = true;
      if (JsonField(info, "source").is_string())
        source = JsonField(info, "source").get<std::string>();
      for (const char* who : {"authority", "multisigAuthority"}) {
        if (JsonField(info, who).is_string()) {
          authority = JsonField(info, who).get<std::string>();
          break;
        }
      }
    }
  };
  scan(JsonField(message, "instructions"));
  if (JsonField(meta, "innerInstructions").is_array()) {
    for (const auto& inner : JsonField(meta, "innerInstructions"))
      scan(JsonField(inner, "instructions"));
  }
  t.from = SenderOf(meta, keys, source, authority, *index, network.token);
  return std::optional<Transfer>{std::move(t)};
}

Result<std::unique_ptr<ChainAdapter>> MakeSolanaAdapter(const NetworkConfig& network) {
  std::string account = network.token_account;
  if (account.empty()) {
    auto derived = AssociatedTokenAccount(network.address, network.token);
    if (!derived) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "network " + network.id + ": cannot derive the token account");
    }
    account = *derived;
  }
  return std::unique_ptr<ChainAdapter>(std::make_unique<SolanaAdapter>(network, account));
}

}  // namespace instamarket
