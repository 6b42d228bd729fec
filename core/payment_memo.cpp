#include "core/payment_memo.h"

#include <cctype>

#include "core/crypto.h"

namespace instamarket {

std::string NewPaymentMemo() {
  // No I, L, O, U: nothing to misread.
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string memo = "IM";
  for (int i = 0; i < 12; ++i) memo += kAlphabet[RandomBelow(32)];
  return memo;
}

std::string NormalizedMemo(std::string_view memo) {
  while (!memo.empty() && std::isspace(static_cast<unsigned char>(memo.front())))
    memo.remove_prefix(1);
  while (!memo.empty() && std::isspace(static_cast<unsigned char>(memo.back())))
    memo.remove_suffix(1);
  std::string out(memo);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace instamarket
