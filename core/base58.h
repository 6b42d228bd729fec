#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace instamarket {

// Bitcoin's Base58 alphabet, as Tron addresses and Solana keys and signatures use it. Each
// leading '1' stands for a leading zero byte.
std::string Base58Encode(std::string_view bytes);
// nullopt when `text` is empty or has a character outside the alphabet.
std::optional<std::string> Base58Decode(std::string_view text);

}  // namespace instamarket
