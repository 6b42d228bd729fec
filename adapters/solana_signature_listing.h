#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"

namespace instamarket {

// One getSignaturesForAddress entry of a token account.
struct SolanaListedSignature {
  std::string account;  // the token account it was listed for
  std::string signature;
  std::int64_t slot = 0;
  bool failed = false;  // err set: it moved no tokens

  friend bool operator==(const SolanaListedSignature&, const SolanaListedSignature&) = default;
};

// The entries of one getSignaturesForAddress page (`page`, the result) listed for `account`,
// asked of a node whose finalized slot is `finalized_slot` (from the same node, same batch).
// kUnavailable, nothing taken, for a page that is not a list or has any entry whose signature is
// not a signature (it would go into the cursor, which could then never be read again) or whose
// slot is negative or above `finalized_slot` (a future slot in a cursor skips every later
// deposit to the account).
Result<std::vector<SolanaListedSignature>> ReadSignaturesPage(const nlohmann::json& page,
                                                              const std::string& account,
                                                              std::int64_t finalized_slot);

// The signatures of one account newer than its cursor, collected page by page (newest first, as
// the RPC lists) and held oldest first. At most `cap` are held: beyond it the newest are
// dropped, so what is held is the oldest part, which can be taken in order (the rest is listed
// again on a later poll). A hostile node's endless listing thus costs bounded memory.
class SolanaListingWindow {
 public:
  explicit SolanaListingWindow(std::size_t cap) : cap_(cap) {}

  // Adds the next (older) entry; kUnavailable when it is newer than the oldest held (the node
  // does not list newest first).
  Result<Unit> AddOlder(SolanaListedSignature s);

  bool empty() const { return held_.empty(); }
  const SolanaListedSignature& oldest() const { return held_.front(); }
  // Some newer signatures were dropped (the account is not caught up after these).
  bool truncated() const { return truncated_; }
  std::deque<SolanaListedSignature> Take() { return std::move(held_); }

 private:
  std::size_t cap_;
  bool truncated_ = false;
  std::deque<SolanaListedSignature> held_;
};

}  // namespace instamarket
