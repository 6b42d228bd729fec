#include "adapters/solana_cursor.h"

#include <algorithm>
#include <charconv>

#include "core/solana_address.h"

namespace instamarket {
namespace {

constexpr char kVersion[] = "v2";

std::vector<std::string> Split(const std::string& s, char separator) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == separator) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

bool ReadSlot(const std::string& s, std::int64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size() && *out >= 0;
}

Error Corrupt(const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "a Solana cursor state that cannot be read: " + why);
}

}  // namespace

SolanaAccountCursor* SolanaCursor::Find(const std::string& account) {
  auto it = std::find_if(accounts.begin(), accounts.end(),
                         [&](const SolanaAccountCursor& a) { return a.account == account; });
  return it == accounts.end() ? nullptr : &*it;
}

Result<SolanaCursor> ReadSolanaCursor(const ChainCursor& stored, const std::string& primary) {
  SolanaCursor out;
  if (stored.state.rfind(std::string(kVersion) + "|", 0) != 0) {
    if (!stored.state.empty() && !IsSolanaSignature(stored.state))
      return Corrupt("neither a signature nor " + std::string(kVersion));
    out.floor = stored.position;
    out.accounts.push_back({primary, stored.state, stored.position});
    return out;
  }
  auto parts = Split(stored.state, '|');
  if (parts.size() < 3 || !ReadSlot(parts[1], &out.floor)) return Corrupt("no floor");
  for (std::size_t i = 2; i < parts.size(); ++i) {
    auto fields = Split(parts[i], ':');
    SolanaAccountCursor a;
    if (fields.size() != 3 || !IsSolanaPubkey(fields[0]) ||
        (!fields[1].empty() && !IsSolanaSignature(fields[1])) || !ReadSlot(fields[2], &a.slot))
      return Corrupt("account entry " + std::to_string(i - 1));
    a.account = fields[0];
    a.signature = fields[1];
    if (out.Find(a.account)) return Corrupt("an account listed twice");
    out.accounts.push_back(std::move(a));
  }
  if (out.accounts.front().account != primary) {
    // token_account was changed in the config: the new one first (listed down to the floor if
    // it is new here), the old one still watched.
    auto it = std::find_if(out.accounts.begin(), out.accounts.end(),
                           [&](const SolanaAccountCursor& a) { return a.account == primary; });
    SolanaAccountCursor first{primary, "", out.floor};
    if (it != out.accounts.end()) {
      first = *it;
      out.accounts.erase(it);
    }
    out.accounts.insert(out.accounts.begin(), first);
  }
  return out;
}

ChainCursor WriteSolanaCursor(const SolanaCursor& cursor) {
  std::string state = std::string(kVersion) + "|" + std::to_string(cursor.floor);
  std::int64_t position = cursor.floor;
  for (const auto& a : cursor.accounts) {
    state += "|" + a.account + ":" + a.signature + ":" + std::to_string(a.slot);
    position = std::max(position, a.slot);
  }
  return ChainCursor{position, state};
}

}  // namespace instamarket
