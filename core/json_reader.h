#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/money.h"
#include "core/result.h"

namespace instamarket {

// Deeper JSON is refused (every body the API reads is flat; nesting is how a small body is made
// to cost a lot of memory and stack).
inline constexpr std::size_t kMaxJsonDepth = 32;

// A parsed JSON document that remembers the source text of every non-integer number, so that
// money can be read exactly ("12.34" stays 12340000 micro-USDT, never 12.339999...).
class JsonDocument {
 public:
  // kInvalidArgument with the reason when `text` is not one JSON value, nests deeper than
  // kMaxJsonDepth, repeats a key within an object, or is not valid UTF-8.
  static Result<JsonDocument> Parse(std::string_view text);

  const nlohmann::json& root() const { return root_; }

  // Reads the money amount at `pointer` (e.g. "/price_usdt"): a JSON number or a decimal
  // string. kNotFound when absent, kInvalidArgument when not an exact amount.
  Result<Money> MoneyAt(const std::string& pointer) const;

 private:
  friend class ExactNumberSax;
  nlohmann::json root_;
  std::map<std::string, std::string> float_texts_;  // JSON pointer -> number as written
};

}  // namespace instamarket
