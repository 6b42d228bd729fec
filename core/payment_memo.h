#pragma once

#include <string>
#include <string_view>

namespace instamarket {

// A fresh memo for an intent on a chain that carries comments (TON, Solana): "IM" and 12
// characters of Crockford base32 from the CSPRNG (60 bits), short enough to type by hand.
std::string NewPaymentMemo();

// Memos are typed by people: compared without surrounding blanks and case.
std::string NormalizedMemo(std::string_view memo);

}  // namespace instamarket
