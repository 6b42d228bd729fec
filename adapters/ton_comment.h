#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace instamarket {

// The text comment of a jetton transfer's forward payload: a base64 bag of cells whose root
// cell starts with the 32-bit opcode 0 followed by UTF-8 text, continued in each cell's first
// reference ("snake" format). nullopt for any other payload (binary, encrypted, malformed).
std::optional<std::string> TonTextComment(std::string_view boc_base64);

}  // namespace instamarket
