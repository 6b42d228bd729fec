#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/chain_cursor.h"
#include "core/result.h"

namespace instamarket {

// Where a Solana network's scan resumes: one listing per token account of the master for the
// mint (getSignaturesForAddress lists one address), each resuming after the newest signature
// taken from it. Stored as one ChainCursor: position = the highest slot taken from any account
// (only grows), state = "v2|<floor>|<account>:<signature>:<slot>|..." (<signature> empty for an
// account nothing was taken from yet: it is listed down to its slot). `floor` is where the
// network's watch began (the start slot): a token account found later is listed down to it, so
// a deposit made to it before it was found is still taken.
struct SolanaAccountCursor {
  std::string account;
  std::string signature;  // the newest taken, or "" (list down to `slot`)
  std::int64_t slot = 0;

  friend bool operator==(const SolanaAccountCursor&, const SolanaAccountCursor&) = default;
};

struct SolanaCursor {
  std::int64_t floor = 0;
  std::vector<SolanaAccountCursor> accounts;  // the primary token account first

  // The account's entry, or nullptr.
  SolanaAccountCursor* Find(const std::string& account);
  friend bool operator==(const SolanaCursor&, const SolanaCursor&) = default;
};

// Reads a stored cursor. A cursor of the one-account format (state = the newest signature taken
// from `primary`, or "", position = its slot) becomes `primary` alone with floor = position
// (the accounts it did not watch are listed from there on). `primary` always comes first: when
// the configured token account changed, it is moved to the front (or added, listed down to the
// floor) and the old one stays watched. kInvalidArgument for a state that is neither format.
Result<SolanaCursor> ReadSolanaCursor(const ChainCursor& stored, const std::string& primary);

ChainCursor WriteSolanaCursor(const SolanaCursor& cursor);

}  // namespace instamarket
