#include "adapters/solana_adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "adapters/json_field.h"
#include "adapters/solana_credited_amount.h"
#include "adapters/solana_cursor.h"
#include "adapters/solana_rpc.h"
#include "adapters/solana_signature_listing.h"
#include "core/solana_address.h"

namespace instamarket {
namespace {

constexpr int kMaxSignaturesPerPage = 1000;  // the RPC's maximum
constexpr std::size_t kTransactionsPerPoll = 100;
// One listing reads at most this many pages (10 million signatures at the default page size):
// a node that never stops paging is refused, and a backfill deeper than that needs a later
// `start`.
constexpr int kMaxListingPages = 10'000;
// The master's token accounts of the mint are listed again every this many poll intervals (a
// new one may appear: anyone can open a token account for any owner).
constexpr int kRelistEveryPolls = 60;
// At most this many token accounts are watched (each is one listing per poll); anyone can open
// more for our master, at a rent of about 0.002 SOL each.
constexpr std::size_t kMaxTokenAccounts = 16;
// At most this many listed signatures are held at once (over all accounts; a hostile node can
// list millions): the oldest of each account's listing are taken, the rest listed again later.
constexpr std::size_t kMaxHeldSignatures = 20'000;

Error Garbage(const std::string& what) {
  return MakeError(ErrorCode::kUnavailable, "unexpected Solana RPC reply: " + what);
}

using Signature = SolanaListedSignature;

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

// A stable event index for a transfer into a token account other than the primary one (0):
// 1 + FNV-1a of its address, in 47 bits, so that one transaction paying two of our accounts
// makes two deposits, and the same pair every time it is read.
std::int64_t EventIndexOf(const std::string& account) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : account) h = (h ^ c) * 1099511628211ull;
  return 1 + static_cast<std::int64_t>(h & ((std::uint64_t{1} << 47) - 1));
}

class SolanaAdapter final : public ChainAdapter {
 public:
  SolanaAdapter(const NetworkConfig& network, std::string token_account, bool configured)
      : network_(network),
        token_account_(std::move(token_account)),
        configured_account_(configured),
        page_limit_(network.page_size > 0 ? network.page_size : kMaxSignaturesPerPage),
        relist_every_(std::chrono::milliseconds(network.poll_interval_ms) * kRelistEveryPolls),
        rpc_(network.id, network.rpc, std::chrono::milliseconds(network.rpc_timeout_ms)) {}

  Result<ChainCursor> InitialCursor() override {
    SolanaCursor cursor;
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
      cursor.floor = JsonField(JsonField(*statuses, "value")[0], "slot").get<std::int64_t>();
      cursor.accounts.push_back({token_account_, network_.start, cursor.floor});
    } else if (network_.start != "latest") {
      cursor.floor = std::stoll(network_.start);
      cursor.accounts.push_back({token_account_, "", cursor.floor});
    } else {
      auto newest = SignaturesPage(rpc_, token_account_, "", "", 1, 0);
      if (!newest) return newest.error();
      if (!newest->empty()) {
        cursor.floor = newest->front().slot;
        cursor.accounts.push_back({token_account_, newest->front().signature, cursor.floor});
      } else {
        // Nothing yet: from the final slot (the accounts found later are listed down to it).
        auto head = rpc_.Call("getSlot", {{{"commitment", "finalized"}}});
        if (!head) return head.error();
        if (!head->is_number_integer()) return Garbage("getSlot is not a number");
        cursor.floor = head->get<std::int64_t>();
        cursor.accounts.push_back({token_account_, "", cursor.floor});
      }
    }
    return WriteSolanaCursor(cursor);
  }

  Result<ChainBatch> Poll(const ChainCursor& from) override {
    auto read = ReadSolanaCursor(from, token_account_);
    if (!read) return read.error();
    SolanaCursor cursor = std::move(*read);
    auto head = rpc_.Call("getSlot", {{{"commitment", "finalized"}}});
    if (!head) return head.error();
    if (!head->is_number_integer()) return Garbage("getSlot is not a number");
    if (std::chrono::steady_clock::now() >= next_relist_) {
      auto listed = ListTokenAccounts(cursor);
      if (!listed) return listed.error();
      if (*listed) pending_.clear();  // a new account: list them all again
    }
    // Signatures listed before and not yet taken are used first; otherwise the lists are asked
    // for anew (always once caught up: that is how new transfers are found).
    const ChainCursor current = WriteSolanaCursor(cursor);
    if (pending_.empty() || !pending_from_ || !(*pending_from_ == current)) {
      pending_.clear();
      pending_truncated_ = false;
      const std::size_t cap = kMaxHeldSignatures / cursor.accounts.size();
      for (const auto& a : cursor.accounts) {
        auto listed = ListNewer(a, cap, RpcFor(a.account));
        if (!listed) {
          // Anyone can open a token account for our master (one a node cannot prove a listing
          // of, e.g. found at an old floor on a node without that history): only the primary
          // stops the network; another is skipped this poll (nothing of it taken) and retried.
          if (a.account == token_account_) return listed.error();
          spdlog::warn("{}: token account {} skipped this poll (the others go on): {}", network_.id,
                       a.account, listed.error().message);
          continue;
        }
        pending_truncated_ = pending_truncated_ || listed->truncated();
        auto held = listed->Take();
        pending_.insert(pending_.end(), std::make_move_iterator(held.begin()),
                        std::make_move_iterator(held.end()));
      }
      // Oldest first across the accounts (each list is already oldest first).
      std::stable_sort(pending_.begin(), pending_.end(),
                       [](const Signature& a, const Signature& b) { return a.slot < b.slot; });
    }
    ChainBatch batch;
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
      SolanaAccountCursor* a = cursor.Find(s.account);
      a->signature = s.signature;
      a->slot = s.slot;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
    batch.next = WriteSolanaCursor(cursor);
    pending_from_ = batch.next;
    // Not caught up while a listing held only its oldest part (the rest is listed next poll).
    batch.reached_final_head = pending_.empty() && !pending_truncated_;
    batch.head = head->get<std::int64_t>();
    // Positions are slots; a caught-up account shows no lag whatever the slot of its last transfer.
    batch.final_height = batch.reached_final_head ? batch.next.position - 1 : batch.next.position;
    return batch;
  }

 private:
  // Every token account the master holds for the mint (getTokenAccountsByOwner, jsonParsed),
  // added to `cursor` (listed down to its floor) when new; true when one was added. Entries that
  // do not name the master as owner and the mint are not taken (a node's answer is hostile).
  // A configured `token_account` is first checked to be the master's, of the mint
  // (kUnavailable if no node says so: nothing is scanned, each node is asked again). A failed
  // listing leaves the known accounts watched and is tried again after the interval.
  Result<bool> ListTokenAccounts(SolanaCursor& cursor) {
    if (configured_account_) {
      auto checked = CheckConfiguredAccount();
      if (!checked) return checked.error();
    }
    auto found = rpc_.Call("getTokenAccountsByOwner",
                           {network_.address,
                            {{"mint", network_.token}},
                            {{"encoding", "jsonParsed"}, {"commitment", "finalized"}}},
                           false, [](const nlohmann::json& r) -> std::optional<std::string> {
                             if (!JsonField(r, "value").is_array())
                               return "no list of token accounts";
                             return std::nullopt;
                           });
    next_relist_ = std::chrono::steady_clock::now() + relist_every_;
    if (!found) {
      spdlog::warn("{}: cannot list the token accounts of {} (watching the {} known): {}",
                   network_.id, network_.address, cursor.accounts.size(), found.error().message);
      return false;
    }
    bool added = false;
    for (const auto& entry : JsonField(*found, "value")) {
      const auto& pubkey = JsonField(entry, "pubkey");
      const auto& info =
          JsonField(JsonField(JsonField(JsonField(entry, "account"), "data"), "parsed"), "info");
      if (!pubkey.is_string() || !IsSolanaPubkey(pubkey.get<std::string>()) ||
          JsonField(info, "owner") != network_.address || JsonField(info, "mint") != network_.token)
        continue;
      std::string account = pubkey.get<std::string>();
      if (cursor.Find(account)) continue;
      if (cursor.accounts.size() >= kMaxTokenAccounts) {
        spdlog::warn("{}: {} holds more than {} token accounts of the mint; {} is not watched",
                     network_.id, network_.address, kMaxTokenAccounts, account);
        continue;
      }
      spdlog::info("{}: watching token account {} too (from slot {})", network_.id, account,
                   cursor.floor);
      cursor.accounts.push_back({account, "", cursor.floor});
      added = true;
    }
    return added;
  }

  // The configured token account is a token account of the mint owned by the master
  // (getAccountInfo, jsonParsed): a typo or someone else's account would credit what is not ours.
  // A node that answers otherwise (or lies) is refused like any other unusable answer, so the
  // next endpoint is asked (kUnavailable with the reason when none says it is ours).
  Result<Unit> CheckConfiguredAccount() {
    auto info = rpc_.Call(
        "getAccountInfo",
        {token_account_, {{"encoding", "jsonParsed"}, {"commitment", "finalized"}}}, false,
        [&](const nlohmann::json& r) -> std::optional<std::string> {
          if (!r.is_object() || !r.contains("value")) return "no account value";
          const auto& value = JsonField(r, "value");
          const auto& parsed = JsonField(JsonField(value, "data"), "parsed");
          const auto& owner = JsonField(JsonField(parsed, "info"), "owner");
          const auto& mint = JsonField(JsonField(parsed, "info"), "mint");
          std::string refused;
          if (value.is_null()) {
            refused = "does not exist";
          } else if (JsonField(parsed, "type") != "account") {
            refused = "is not a token account";
          } else if (owner != network_.address) {
            refused = "is owned by " + owner.dump() + ", not by the address " + network_.address;
          } else if (mint != network_.token) {
            refused = "holds the mint " + mint.dump() + ", not the token " + network_.token;
          }
          if (refused.empty()) return std::nullopt;
          return "network " + network_.id + ": token_account " + token_account_ + " " + refused +
                 "; not watching it (fix token_account or address)";
        });
    if (!info) return info.error();
    return Unit{};
  }

  // `min_slot`: a node that has not reached it answers an error (and the next endpoint is
  // asked) instead of a short list that would read as the end.
  Result<std::vector<Signature>> SignaturesPage(SolanaRpc& rpc, const std::string& account,
                                                const std::string& before, const std::string& until,
                                                int limit, std::int64_t min_slot) {
    nlohmann::json options = {{"commitment", "finalized"}, {"limit", limit}};
    if (!before.empty()) options["before"] = before;
    if (!until.empty()) options["until"] = until;
    if (min_slot > 0) options["minContextSlot"] = min_slot;
    // With the same node's finalized slot (one batch): an entry above it is a lie, and refused
    // before it can reach the cursor (the next endpoint is asked).
    std::vector<Signature> out;
    auto answers =
        rpc.Batch({{"getSlot", {{{"commitment", "finalized"}}}},
                   {"getSignaturesForAddress", {account, options}}},
                  [&](const std::vector<nlohmann::json>& r) -> std::optional<std::string> {
                    if (!r[0].is_number_integer()) return "getSlot is not a number";
                    auto read = ReadSignaturesPage(r[1], account, r[0].get<std::int64_t>());
                    if (!read) return read.error().message;
                    out = std::move(*read);
                    return std::nullopt;
                  });
    if (!answers) return answers.error();
    return out;
  }

  // Every finalized signature of `from`'s account newer than its cursor, oldest first: the RPC
  // lists newest first, so pages are followed back (before = the oldest so far) down to the
  // cursor's signature (until) or below the cursor's slot.
  // `rpc`: a secondary account's own (RpcFor: a node refused for it is not put in backoff for
  // the other accounts' listings and the transactions).
  SolanaRpc& RpcFor(const std::string& account) {
    if (account == token_account_) return rpc_;
    auto& rpc = secondary_rpcs_[account];
    if (!rpc) {
      rpc = std::make_unique<SolanaRpc>(network_.id, network_.rpc,
                                        std::chrono::milliseconds(network_.rpc_timeout_ms));
    }
    return *rpc;
  }

  Result<SolanaListingWindow> ListNewer(const SolanaAccountCursor& from, std::size_t cap,
                                        SolanaRpc& rpc) {
    SolanaListingWindow out(cap);
    std::string before;
    std::int64_t before_slot = from.slot;
    for (int page_number = 0;; ++page_number) {
      if (page_number >= kMaxListingPages)
        return Garbage("more than " + std::to_string(kMaxListingPages) + " pages of signatures");
      auto page =
          SignaturesPage(rpc, from.account, before, from.signature, page_limit_, before_slot);
      if (!page) return page.error();
      bool below = false;
      for (auto& s : *page) {
        if (s.slot < from.slot) {
          below = true;  // older than the cursor (its signature pruned, or a slot as start)
          break;
        }
        if (auto added = out.AddOlder(std::move(s)); !added) return added.error();
      }
      if (below) return out;  // the node's history reaches below the cursor
      if (page->size() < static_cast<std::size_t>(page_limit_)) break;
      if (out.oldest().signature == before) return Garbage("paging did not move back");
      before = out.oldest().signature;
      before_slot = out.oldest().slot;
    }
    // A short page reads as "reached the cursor", but a node whose history is cut off (a short
    // ledger, a fresh snapshot) lists short too, and the cursor would move past what it never
    // had. Proven, or this node is unable and the next is asked.
    auto proven = ProveReached(rpc, from, out.empty() ? std::string() : out.oldest().signature);
    if (!proven) return proven.error();
    return out;
  }

  // That nothing lies between the cursor and `oldest` (the oldest signature listed, or "" when
  // none was), asked of one node in one batch: the signature just before `oldest` is the
  // cursor's own; for a cursor without a signature (a start slot, a new account), there is none
  // at or above the cursor's slot and the node's history (getFirstAvailableBlock) begins at or
  // below that slot. A node that cannot show it is refused and the next endpoint asked; one that
  // shows a signature the listing did not have makes the listing start again (kUnavailable).
  Result<Unit> ProveReached(SolanaRpc& rpc, const SolanaAccountCursor& from,
                            const std::string& oldest) {
    nlohmann::json options = {{"commitment", "finalized"}, {"limit", 1}};
    if (!oldest.empty()) options["before"] = oldest;
    const bool by_signature = !from.signature.empty();
    auto answers = rpc.Batch(
        {{"getFirstAvailableBlock", nlohmann::json::array()},
         {"getSignaturesForAddress", {from.account, options}}},
        [&](const std::vector<nlohmann::json>& r) -> std::optional<std::string> {
          const auto& first = r[0];
          const auto& older = r[1];
          if (!first.is_number_integer() || !older.is_array()) return "not a slot and a list";
          if (!older.empty() && (!JsonField(older[0], "signature").is_string() ||
                                 !JsonField(older[0], "slot").is_number_integer()))
            return "a signature entry without signature or slot";
          bool reaches =
              by_signature
                  ? !older.empty() && JsonField(older[0], "slot").get<std::int64_t>() >= from.slot
                  : first.get<std::int64_t>() <= from.slot;
          if (!reaches)
            return "its history (from slot " + first.dump() + ") does not reach the cursor (slot " +
                   std::to_string(from.slot) + (by_signature ? ", " + from.signature : "") + ")";
          return std::nullopt;
        });
    if (!answers) return answers.error();
    const auto& older = (*answers)[1];
    bool reached =
        by_signature ? JsonField(older[0], "signature") == from.signature
                     : older.empty() || JsonField(older[0], "slot").get<std::int64_t>() < from.slot;
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
         {{"encoding", "jsonParsed"},
          {"commitment", "finalized"},
          {"maxSupportedTransactionVersion", 0}}},
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
          parsed = ParseSolanaTransaction(result, s.signature, s.account, network_);
          if (!*parsed) return parsed->error().message;
          if (**parsed && s.account != token_account_)
            (***parsed).event_index = EventIndexOf(s.account);
          return std::nullopt;
        });
    if (!tx) return tx.error();
    return std::move(*parsed);
  }

  NetworkConfig network_;
  std::string token_account_;  // the primary: configured, or the associated token account
  bool configured_account_;    // token_account was configured (its owner is checked)
  int page_limit_;
  std::chrono::steady_clock::duration relist_every_;
  std::chrono::steady_clock::time_point next_relist_{};  // the first poll lists the accounts
  SolanaRpc rpc_;
  // Each secondary token account's listings: its own endpoint backoff, so that an account no
  // node can prove (anyone can open one for us) keeps the nodes from no other account.
  std::map<std::string, std::unique_ptr<SolanaRpc>> secondary_rpcs_;
  std::optional<ChainCursor> pending_from_;  // pending_ continues from this cursor
  std::deque<Signature> pending_;
  bool pending_truncated_ = false;  // a listing behind pending_ was cut at the cap
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
  return std::unique_ptr<ChainAdapter>(
      std::make_unique<SolanaAdapter>(network, account, !network.token_account.empty()));
}

}  // namespace instamarket
